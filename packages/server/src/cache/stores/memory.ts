import { LRUCache } from "lru-cache";
import type { CacheStore } from "./store.ts";

/** The in-process store: one size-bounded LRU of strings with a TTL per item. */
export function createMemoryStore(maxBytes: number): CacheStore {
  const items = new LRUCache<string, string>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => value.length + key.length,
  });
  const setIfAbsent = (key: string, value: string, ttlSeconds: number): string => {
    const current = items.get(key);
    if (current !== undefined) return current;
    items.set(key, value, { ttl: ttlSeconds * 1000 });
    return value;
  };
  return {
    mode: "memory",
    async server() {
      return "local";
    },
    async getMany(keys) {
      return keys.map((key) => items.get(key) ?? null);
    },
    async setManyIfAbsent(entries, ttlSeconds) {
      return entries.map(([key, value]) => setIfAbsent(key, value, ttlSeconds));
    },
    async setMany(entries, ttlSeconds) {
      for (const [key, value] of entries) items.set(key, value, { ttl: ttlSeconds * 1000 });
    },
    async get(key) {
      return items.get(key) ?? null;
    },
    async delete(keys) {
      for (const key of keys) items.delete(key);
    },
    async set(key, value, ttlSeconds) {
      items.set(key, value, { ttl: ttlSeconds * 1000 });
    },
    async close() {
      items.clear();
    },
  };
}
