/**
 * The dependency graph of an evaluation: who waits for whom during `pulumi up` (and, reversed, during
 * `pulumi destroy`). Edges are explicit `dependsOn` and the provider every resource uses.
 */
import { DeclaredResource, Evaluation } from "../../mocks/evaluate";

export class DependencyGraph {
    private readonly byName = new Map<string, DeclaredResource>();
    private readonly closure = new Map<string, Set<string>>();

    constructor(readonly evaluation: Evaluation) {
        for (const r of evaluation.resources) this.byName.set(r.name, r);
    }

    /** Direct prerequisites of a resource. */
    prerequisites(name: string): string[] {
        const r = this.byName.get(name);
        if (r === undefined) throw new Error(`no resource ${name}`);
        return [...r.dependsOn, ...(r.provider ? [r.provider] : [])];
    }

    /** Everything a resource waits for, directly or through others. */
    waitsFor(name: string): Set<string> {
        const cached = this.closure.get(name);
        if (cached) return cached;
        const all = new Set<string>();
        this.closure.set(name, all); // a cycle ends here instead of recursing forever
        for (const dep of this.prerequisites(name)) {
            all.add(dep);
            for (const transitive of this.waitsFor(dep)) all.add(transitive);
        }
        return all;
    }

    /** The longest chain of resources that must be created one after another. */
    longestChain(): string[] {
        const memo = new Map<string, string[]>();
        const chainTo = (name: string): string[] => {
            const known = memo.get(name);
            if (known) return known;
            memo.set(name, [name]);
            const longest = this.prerequisites(name)
                .map(chainTo)
                .reduce<string[]>((best, c) => (c.length > best.length ? c : best), []);
            const chain = [...longest, name];
            memo.set(name, chain);
            return chain;
        };
        return [...this.byName.keys()].map(chainTo).reduce<string[]>((best, c) => (c.length > best.length ? c : best), []);
    }
}
