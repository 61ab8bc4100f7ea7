/** The value at a path of keys in plain data (config, resource inputs, chart values); undefined where the path ends early. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    return path.reduce<unknown>((value, key) => (value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined), root);
}
