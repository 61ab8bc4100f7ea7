// @ts-check
/**
 * Lint as the TypeScript ecosystem does: typescript-eslint's recommended type-checked rules, plus
 * Pulumi's rules against an Output in a plain template literal. `npm test` runs it with zero warnings.
 */
import eslint from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "out/", "reports/", ".stryker-tmp/", "e2e/go/", "policy/node_modules/"] },
    eslint.configs.recommended,
    tseslint.configs.recommendedTypeChecked,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-unused-vars": ["error", { varsIgnorePattern: "^_", ignoreRestSiblings: true }],
        },
    },
    {
        // Specs and the e2e read what the mocks, the engine and the API server return: JSON, typed `any`
        // on purpose, asserted on field by field. The program, its commands and tools get no such leave.
        files: ["test/**/*.ts", "e2e/**/*.ts"],
        rules: {
            // Stand-ins implement async interfaces without awaiting anything; stderr is saved to be restored;
            // mocha's and Stryker's internals have no typings to import.
            "@typescript-eslint/require-await": "off",
            "@typescript-eslint/unbound-method": "off",
            "@typescript-eslint/no-require-imports": "off",
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-return": "off",
        },
    },
    { files: ["**/*.mjs"], extends: [tseslint.configs.disableTypeChecked] },
);
