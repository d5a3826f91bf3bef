/**
 * Analysis of the prerequisite graph at compile time, so evaluation can recurse
 * into prerequisites without a depth counter: flags on a cycle and flags whose
 * chain is too deep are turned into constant errors before anything evaluates.
 * Iterative (Tarjan's strongly connected components), so a hostile rule set
 * cannot overflow the stack here either.
 */

/** For each node: whether it lies on a cycle, and its chain depth (1 = no prerequisites). */
export interface GraphAnalysis {
  cyclic: boolean[];
  depth: number[];
}

/**
 * `edges[i]` lists the nodes node i depends on. Nodes deeper than `maxDepth`
 * are reported with `depth > maxDepth` and count as depth 1 for their dependants
 * (the caller makes them constant, so they end the recursion).
 */
export function analysePrerequisites(edges: readonly (readonly number[])[], maxDepth: number): GraphAnalysis {
  const n = edges.length;
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const cyclic = new Array<boolean>(n).fill(false);
  const depth = new Array<number>(n).fill(1);
  const effective = new Array<number>(n).fill(1);
  const stack: number[] = [];
  let counter = 0;

  const finishComponent = (root: number): void => {
    const members: number[] = [];
    let w: number;
    do {
      w = stack.pop() as number;
      onStack[w] = false;
      members.push(w);
    } while (w !== root);
    const only = members[0] as number;
    if (members.length > 1 || (edges[only] as readonly number[]).includes(only)) {
      for (const m of members) cyclic[m] = true;
      return;
    }
    // Tarjan emits components after everything they reach, so children are final.
    let d = 1;
    for (const child of edges[only] as readonly number[]) d = Math.max(d, 1 + (effective[child] as number));
    depth[only] = d;
    effective[only] = d > maxDepth ? 1 : d;
  };

  for (let start = 0; start < n; start++) {
    if (index[start] !== -1) continue;
    const work: { node: number; next: number }[] = [{ node: start, next: 0 }];
    index[start] = low[start] = counter++;
    stack.push(start);
    onStack[start] = true;
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: number; next: number };
      const out = edges[frame.node] as readonly number[];
      if (frame.next < out.length) {
        const w = out[frame.next++] as number;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = true;
          work.push({ node: w, next: 0 });
        } else if (onStack[w]) {
          low[frame.node] = Math.min(low[frame.node] as number, index[w] as number);
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low[parent.node] = Math.min(low[parent.node] as number, low[frame.node] as number);
      if (low[frame.node] === index[frame.node]) finishComponent(frame.node);
    }
  }
  return { cyclic, depth };
}
