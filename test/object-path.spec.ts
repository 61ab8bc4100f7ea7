import { strict as assert } from "assert";
import { valueAt } from "../config/object-path";

describe("object-path: the value at a path of keys", () => {
    it("walks objects and arrays, and ends at undefined where the path ends early", () => {
        const data = { a: { b: [{ c: 1 }], n: null, s: "text" } };
        assert.equal(valueAt(data, ["a", "b", 0, "c"]), 1);
        assert.deepEqual(valueAt(data, []), data);
        assert.equal(valueAt(data, ["a", "missing", "c"]), undefined);
        assert.equal(valueAt(data, ["a", "n", "c"]), undefined, "through a null");
        assert.equal(valueAt(data, ["a", "s", "length"]), undefined, "into a string");
        assert.equal(valueAt(undefined, ["a"]), undefined);
    });
});
