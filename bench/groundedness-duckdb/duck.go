package main

import (
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// figuresSQL computes the Figures of every task, and of "all" (both tasks
// pooled), from results.parquet ($results) and the labelled set ($data).
// Fold 5 stands for "no fold held out": its threshold is the one picked on
// all the items.
const figuresSQL = `
WITH res AS (
  SELECT id, groundedness_score AS score
  FROM read_parquet($results)
  WHERE sample = 0 AND groundedness_score IS NOT NULL
),
lab AS (
  SELECT id, task, hallucinated = 'yes' AS label
  FROM read_parquet($data)
  WHERE hallucinated IN ('yes', 'no')
),
base AS (
  SELECT r.id, l.task, l.label, r.score,
         -- the first 16 hex digits of SHA-256(id) as an unsigned 64-bit
         -- number h; fold = h·5 >> 64
         ((('0x' || substr(sha256(r.id), 1, 16))::UBIGINT::UHUGEINT * 5) >> 64)::INTEGER AS fold
  FROM res r JOIN lab l USING (id)
),
items AS (
  SELECT task, label, score, fold FROM base
  UNION ALL
  SELECT 'all', label, score, fold FROM base
),
fk AS (
  SELECT t.task, k.range::INTEGER AS k
  FROM (SELECT DISTINCT task FROM items) t, range(6) k
),
cand AS (
  SELECT DISTINCT f.task, f.k, i.score AS t
  FROM fk f JOIN items i ON i.task = f.task AND i.fold <> f.k
),
counted AS (
  SELECT c.task, c.k, c.t,
         count(*) FILTER (WHERE i.label AND i.score >= c.t) AS tp,
         count(*) FILTER (WHERE NOT i.label AND i.score >= c.t) AS fp,
         count(*) FILTER (WHERE i.label AND i.score < c.t) AS fn
  FROM cand c JOIN items i ON i.task = c.task AND i.fold <> c.k
  GROUP BY c.task, c.k, c.t
),
scored AS (
  SELECT task, k, t,
         CASE WHEN 2 * tp + fp + fn = 0 THEN 0.0
              ELSE (2 * tp)::DOUBLE / (2 * tp + fp + fn)::DOUBLE END AS f1
  FROM counted
),
best AS (
  SELECT DISTINCT ON (task, k) task, k, t
  FROM scored
  ORDER BY task, k, f1 DESC, t ASC
),
pred AS (
  SELECT i.task, i.label,
         i.score >= coalesce(b.t, 'infinity'::DOUBLE) AS p
  FROM items i LEFT JOIN best b ON b.task = i.task AND b.k = i.fold
),
pooled AS (
  SELECT task, count(*) AS n,
         count(*) FILTER (WHERE label) AS npos,
         count(*) FILTER (WHERE label AND p) AS tp,
         count(*) FILTER (WHERE NOT label AND p) AS fp,
         count(*) FILTER (WHERE label AND NOT p) AS fn
  FROM pred GROUP BY task
),
pairs AS (
  SELECT a.task,
         2 * count(*) FILTER (WHERE a.score > b.score) + count(*) FILTER (WHERE a.score = b.score) AS twice
  FROM items a JOIN items b ON a.task = b.task AND a.label AND NOT b.label
  GROUP BY a.task
)
SELECT p.task, p.n, p.npos,
       coalesce(s.t, 'nan'::DOUBLE) AS threshold,
       CASE WHEN p.tp + p.fp = 0 THEN 0.0 ELSE p.tp::DOUBLE / (p.tp + p.fp)::DOUBLE END AS precision,
       CASE WHEN p.tp + p.fn = 0 THEN 0.0 ELSE p.tp::DOUBLE / (p.tp + p.fn)::DOUBLE END AS recall,
       CASE WHEN 2 * p.tp + p.fp + p.fn = 0 THEN 0.0
            ELSE (2 * p.tp)::DOUBLE / (2 * p.tp + p.fp + p.fn)::DOUBLE END AS f1,
       2 * (p.npos::DOUBLE / p.n::DOUBLE) / (1 + p.npos::DOUBLE / p.n::DOUBLE) AS baseline,
       CASE WHEN p.npos = 0 OR p.npos = p.n THEN 'nan'::DOUBLE
            ELSE coalesce(x.twice, 0)::DOUBLE / (2 * p.npos * (p.n - p.npos))::DOUBLE END AS auroc
FROM pooled p
LEFT JOIN best s ON s.task = p.task AND s.k = 5
LEFT JOIN pairs x ON x.task = p.task
ORDER BY p.task = 'all', p.task
`

// duckFigures runs figuresSQL with DuckDB.
func duckFigures(results, data string) ([]Figures, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(figuresSQL, sql.Named("results", results), sql.Named("data", data))
	if err != nil {
		return nil, fmt.Errorf("query %s, %s: %w", results, data, err)
	}
	defer rows.Close()
	var out []Figures
	for rows.Next() {
		var f Figures
		var n, npos int64
		if err := rows.Scan(&f.Task, &n, &npos, &f.Threshold, &f.Precision, &f.Recall, &f.F1, &f.BaselineF1, &f.AUROC); err != nil {
			return nil, err
		}
		f.N, f.Hallucinated = int(n), int(npos)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no labelled answer of %s has a groundedness score in %s", data, results)
	}
	return out, nil
}

// writeFixture writes, with DuckDB's own Parquet writer, a results file
// with the fixed columns evalgate's reader needs and every groundedness
// column, in each state: absent (null), an empty list of claims, claims,
// a null claim inside the list, and both values of escalated.
func writeFixture(path string) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	q := `COPY (
  SELECT id, sample, output, groundedness_method, groundedness_score::DOUBLE AS groundedness_score,
         groundedness_verdict, groundedness_escalated, unsupported_claims
  FROM (VALUES
    ('a', 0, 'Paris is the capital.', 'lexical', 0.0, 'supported', false, []::VARCHAR[]),
    ('b', 0, 'It costs $40. It opens at 9.', 'lexical', 0.75, 'hallucinated', false, ['It costs $40.', 'It opens at 9.']),
    ('c', 1, 'Ünïcödé ✓', 'judge', 1.0, 'hallucinated', true, ['Ünïcödé ✓', NULL]),
    ('d', 0, 'No context.', NULL, NULL, NULL, NULL, NULL::VARCHAR[]),
    ('e', 0, '', 'judge', 1.0, 'judge_error', true, []::VARCHAR[])
  ) t(id, sample, output, groundedness_method, groundedness_score, groundedness_verdict, groundedness_escalated, unsupported_claims)
) TO '` + strings.ReplaceAll(path, "'", "''") + `' (FORMAT parquet)`
	if _, err := db.Exec(q); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
