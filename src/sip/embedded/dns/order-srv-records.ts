/** The fields of an SRV record that decide the order servers are tried in. */
export interface SrvOrderable {
  readonly priority: number;
  readonly weight: number;
}

/**
 * RFC 2782 order: ascending priority; within a priority, a weighted random permutation where
 * each pick is chosen with probability weight / remaining total. `random` returns [0, 1), like
 * `Math.random`.
 *
 * RFC 2782's literal recipe draws from [0, total] inclusive, which gives the first record one
 * extra share (2:1 for weights 1 and 1). The draw here is from [0, total), so shares match the
 * weights exactly; weight-0 records come after the weighted ones of their priority, in random
 * order, which is the "very small chance" the RFC asks for taken to its limit.
 */
export function orderSrvRecords<T extends SrvOrderable>(
  records: readonly T[],
  random: () => number = Math.random,
): T[] {
  const priorities = [...new Set(records.map((record) => record.priority))].sort((a, b) => a - b);
  return priorities.flatMap((priority) =>
    weightedPermutation(
      records.filter((record) => record.priority === priority),
      random,
    ),
  );
}

function weightedPermutation<T extends SrvOrderable>(group: readonly T[], random: () => number): T[] {
  const remaining = [...group];
  const out: T[] = [];
  while (remaining.length > 0) {
    out.push(...remaining.splice(pickIndex(remaining, random), 1));
  }
  return out;
}

function pickIndex(records: readonly SrvOrderable[], random: () => number): number {
  const total = records.reduce((sum, record) => sum + Math.max(0, record.weight), 0);
  if (total === 0) return Math.min(records.length - 1, Math.floor(random() * records.length));
  const draw = random() * total;
  let running = 0;
  for (let index = 0; index < records.length; index += 1) {
    running += Math.max(0, records[index]?.weight ?? 0);
    if (running > draw) return index;
  }
  return records.length - 1;
}
