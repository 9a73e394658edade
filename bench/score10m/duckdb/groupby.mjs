// Times DuckDB over the score10m files, for comparison with `evalgate score`.
// Usage: node groupby.mjs RESULTS.parquet SET.parquet
//
// Two queries, each timed from submission to the last row:
//   stored  - per-group counts and correct counts from the stored score
//             column, over the three group columns (GROUPING SETS) and
//             overall: the GROUP BY evalgate's fairness tables amount to.
//   rescore - the same after joining the eval set by id and re-deciding
//             "correct" with a lower-cased whole-word containment test,
//             closer to the work `evalgate score` does (which also
//             normalizes punctuation and articles, scores four methods
//             and bootstraps).
import { DuckDBInstance } from '@duckdb/node-api';

const [results, set] = process.argv.slice(2);
if (!results || !set) {
  console.error('usage: node groupby.mjs RESULTS.parquet SET.parquet');
  process.exit(2);
}
const q = (s) => s.replaceAll("'", "''");
const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
const queries = {
  stored: `
    SELECT region, customer_tier, channel, count(*) AS n,
           sum(CASE WHEN score_contains = 1 THEN 1 ELSE 0 END) AS correct,
           sum(CASE WHEN error IS NOT NULL THEN 1 ELSE 0 END) AS errors
    FROM read_parquet('${q(results)}')
    GROUP BY GROUPING SETS ((region), (customer_tier), (channel), ())`,
  rescore: `
    SELECT region, customer_tier, channel, count(*) AS n,
           sum(CASE WHEN contains(' ' || lower(r.output) || ' ', ' ' || lower(s.expected) || ' ') THEN 1 ELSE 0 END) AS correct
    FROM read_parquet('${q(results)}') r JOIN read_parquet('${q(set)}') s USING (id)
    GROUP BY GROUPING SETS ((region), (customer_tier), (channel), ())`,
};
const out = {};
for (const [name, sql] of Object.entries(queries)) {
  const t0 = performance.now();
  const reader = await con.runAndReadAll(sql);
  const rows = reader.getRows();
  out[name] = { seconds: (performance.now() - t0) / 1000, rows: rows.length };
}
console.log(JSON.stringify(out));
