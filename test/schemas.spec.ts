import { strict as assert } from "assert";
import { schemaError } from "./support/schemas";

// The stack specs trust this validator to say "valid"; here it has to say "invalid" when it should.
describe("schemas: the validator rejects broken objects", () => {
    it("catches a wrongly typed Deployment field", async () => {
        const error = await schemaError({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "x" },
            spec: { selector: {}, template: { spec: { containers: [{ name: "a", image: "b", ports: [{ containerPort: "8080" }] }] } } },
        } as never);
        assert.match(error ?? "", /containerPort must be integer/);
    });

    it("catches a Service port without its number", async () => {
        assert.match((await schemaError({ apiVersion: "v1", kind: "Service", spec: { ports: [{ name: "http" }] } } as never)) ?? "", /port/);
    });

    it("catches a VirtualService weight that is not a number", async () => {
        const error = await schemaError({
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            spec: { hosts: ["a"], http: [{ route: [{ destination: { host: "a" }, weight: "70%" }] }] },
        } as never);
        assert.match(error ?? "", /weight must be integer/);
    });

    it("catches a Gateway server without hosts", async () => {
        const error = await schemaError({
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            spec: { servers: [{ port: { number: 80, name: "http", protocol: "HTTP" } }] },
        } as never);
        assert.match(error ?? "", /hosts/);
    });

    it("knows no model for an unknown kind", async () => {
        await assert.rejects(
            schemaError({ apiVersion: "networking.istio.io/v1", kind: "VirtualSevrice" }),
            /no schema for networking.istio.io\/v1 VirtualSevrice/,
        );
    });
});
