// A writer process for the concurrency test: upserts 600 points in batches of 32.
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { makePoint } from './points.js';

const [dir, writer] = process.argv.slice(2);
const store = new SqliteStore(dir);
const keys = [
  ...Array.from({ length: 60 }, (_, i) => `shared-${i}`),
  ...Array.from({ length: 540 }, (_, i) => `${writer}-${i}`),
];

for (let start = 0; start < keys.length; start += 32) {
  const points = keys.slice(start, start + 32).map((key) => makePoint(key, 8, { name: writer }));
  await store.upsertPoints('products', points);
}
await store.close();
