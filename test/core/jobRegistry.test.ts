import {
  addJob,
  emptyRegistry,
  MAX_JOBS_PER_SHARD,
  mergeRegistries,
  REGISTRY_SHARDS,
  registryShardKeys,
  registryShardOf,
} from "../../core/jobRegistry";

test("a name always maps to one of the shard keys, and names spread over all shards", () => {
  const keys = new Set(registryShardKeys());
  expect(keys.size).toBe(REGISTRY_SHARDS);
  const used = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const shard = registryShardOf(`job-${i}`);
    expect(keys.has(shard)).toBe(true);
    expect(registryShardOf(`job-${i}`)).toBe(shard);
    used.add(shard);
  }
  expect(used.size).toBe(REGISTRY_SHARDS);
});

test("addJob keeps names sorted and unique, returns the same state when nothing changes, counts overflow", () => {
  let s = emptyRegistry();
  for (const name of ["b", "a", "c", "a"]) s = addJob(s, name);
  expect(s).toEqual({ jobs: ["a", "b", "c"], overflow: 0 });
  expect(addJob(s, "b")).toBe(s);
  const full = {
    jobs: Array.from({ length: MAX_JOBS_PER_SHARD }, (_, i) => `j${String(i).padStart(5, "0")}`),
    overflow: 0,
  };
  expect(addJob(full, "zzz")).toEqual({ ...full, overflow: 1 });
});

test("mergeRegistries sorts across shards and sums overflow", () => {
  expect(
    mergeRegistries([{ jobs: ["b", "d"], overflow: 1 }, undefined, { jobs: ["a", "c"], overflow: 2 }]),
  ).toEqual({
    jobs: ["a", "b", "c", "d"],
    overflow: 3,
  });
});
