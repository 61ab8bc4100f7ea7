/**
 * What switching a lab from one evaluation to another would do, resource by resource: added,
 * removed, changed in place, or replaced (deleted and created again, which for a Deployment means
 * its pods go away). Replacement follows the Kubernetes provider's rules for the kinds the lab uses.
 */
import { valueAt } from "../../config/object-path";
import { isDeepStrictEqual } from "util";
import { DeclaredResource, Evaluation, KubeObject, isComponent } from "../../mocks/evaluate";

export type ChangeKind = "added" | "removed" | "changed" | "replaced";

export interface Change {
    kind: ChangeKind;
    type: string;
    name: string;
    /** For replacements: the field that forces it. */
    reason?: string;
}

/** Fields whose change makes the provider delete and re-create the object, by Kubernetes kind. */
const IMMUTABLE: Readonly<Record<string, readonly string[][]>> = {
    "*": [
        ["metadata", "name"],
        ["metadata", "namespace"],
    ],
    Deployment: [["spec", "selector"]],
    Service: [["spec", "clusterIP"]],
};
/** Helm charts are replaced when their release moves. */
const CHART_IMMUTABLE = [["name"], ["namespace"]];

/** Only what the engine creates counts: components and the stack only group. */
const isManaged = (r: DeclaredResource) => !isComponent(r.type);
const key = (r: DeclaredResource) => `${r.type}::${r.name}`;
/** The object in the cluster, whatever the Pulumi resource that declares it is called. */
const identity = ({ inputs }: { inputs: KubeObject }) =>
    typeof inputs.kind === "string" ? `${inputs.apiVersion}/${inputs.kind}/${inputs.metadata?.namespace ?? ""}/${inputs.metadata?.name}` : undefined;

function replacementReason(before: DeclaredResource, after: DeclaredResource): string | undefined {
    const paths =
        before.type === "kubernetes:helm.sh/v4:Chart" ? CHART_IMMUTABLE : [...IMMUTABLE["*"], ...(IMMUTABLE[(before.inputs as KubeObject).kind ?? ""] ?? [])];
    return paths.find((p) => !isDeepStrictEqual(valueAt(before.inputs, p), valueAt(after.inputs, p)))?.join(".");
}

export function diffEvaluations(from: Evaluation, to: Evaluation): Change[] {
    const before = new Map(from.resources.filter(isManaged).map((r) => [key(r), r]));
    const after = new Map(to.resources.filter(isManaged).map((r) => [key(r), r]));
    const changes: Change[] = [];
    for (const [k, b] of before) {
        const a = after.get(k);
        if (a === undefined) continue;
        if (isDeepStrictEqual(a.inputs, b.inputs)) continue;
        const reason = replacementReason(b, a);
        changes.push(reason ? { kind: "replaced", type: a.type, name: a.name, reason } : { kind: "changed", type: a.type, name: a.name });
    }
    const removed = [...before.values()].filter((r) => !after.has(key(r)));
    const added = [...after.values()].filter((r) => !before.has(key(r)));
    // The same cluster object under another Pulumi name is deleted and created again.
    const removedIdentities = new Map(removed.map((r) => [identity(r), r]));
    for (const r of added) {
        const previous = identity(r) !== undefined ? removedIdentities.get(identity(r)) : undefined;
        if (previous) {
            removedIdentities.delete(identity(r));
            changes.push({ kind: "replaced", type: r.type, name: r.name, reason: `declared as ${previous.name} before` });
        } else {
            changes.push({ kind: "added", type: r.type, name: r.name });
        }
    }
    for (const r of removed) {
        if (identity(r) === undefined || removedIdentities.has(identity(r))) changes.push({ kind: "removed", type: r.type, name: r.name });
    }
    return changes;
}

/** Counts per kind of change. */
export function summarize(changes: Change[]): Record<ChangeKind, number> {
    const counts: Record<ChangeKind, number> = { added: 0, changed: 0, removed: 0, replaced: 0 };
    for (const c of changes) counts[c.kind]++;
    return counts;
}
