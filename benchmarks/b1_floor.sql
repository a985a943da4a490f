-- B1's floor: the UN DPRK findings in one hand-written DuckDB query over the store's flows.
--
-- The regime comes in as small tables of VALUES (measures, scope prefixes, cap terms and their
-- limits, product barrel factors), filled in from the catalog by benchmarks/_common.py;
-- everything else is written here by hand. It computes the columns B1 compares (measure,
-- status, reporter, flow, period, HS code, value, counted and source row for bans; status,
-- reporters, cap period, used share and thresholds crossed for caps), and none of the prose
-- `check` writes into its reasons.
WITH
measures_given (measure_id, kind, direction, start, effective_end, grace_end, factor,
          per_supplier, thresholds, baseline_start, baseline_end, baseline_unit) AS (
    VALUES {measures}
),
-- Casts: a column of VALUES all null is not read as dates.
measures AS (
    SELECT * REPLACE (CAST(effective_end AS DATE) AS effective_end,
                      CAST(grace_end AS DATE) AS grace_end)
    FROM measures_given
),
scopes (measure_id, prefix, excluded) AS (VALUES {scopes}),
-- Grace, exemptions and per-item thresholds, each over its codes ('' is the whole scope).
rules (measure_id, rule, prefix, by_origin, over) AS (VALUES {rules}),
consignment (reporter) AS (VALUES {consignment}),
-- A cap's terms, then its standing limits (`standing`, open-ended where `term_end` is null).
cap_terms (measure_id, term_start, term_end, standing, cap_kind, anchor) AS (VALUES {terms}),
cap_limits (measure_id, term_start, unit, amount) AS (VALUES {limits}),
products (prefix, factor) AS (VALUES {products}),

-- Trade with the target, one row per flow, TOTAL rows left out: rows naming it as partner,
-- then rows with its code as reporter (a store names a reporter's ISO3 code from its numeric
-- code). Disjoint equalities rather than one OR: DuckDB pushes each into the scan, where an OR
-- makes it read every column.
with_target AS (
    SELECT *, true AS as_partner FROM flows WHERE partner_code = {target_code} AND hs_level > 0
    UNION ALL
    SELECT *, true FROM flows
    WHERE partner_iso3 = '{target}' AND partner_code IS DISTINCT FROM {target_code}
      AND hs_level > 0
    UNION ALL
    SELECT *, false FROM flows
    WHERE reporter_code = {target_code} AND partner_code <> {target_code} AND hs_level > 0
),
directed AS (
    SELECT *,
        CASE WHEN as_partner = (flow IN ('import', 're-import')) THEN 'from_target'
             ELSE 'to_target' END AS direction,
        CASE WHEN reconciled THEN 'reconciled' WHEN as_partner THEN 'partner' ELSE 'target' END
            AS side,
        coalesce(reporter_iso3, CAST(reporter_code AS VARCHAR)) AS reporter,
        coalesce(partner_iso3, CAST(partner_code AS VARCHAR)) AS partner,
        CASE WHEN as_partner THEN coalesce(reporter_iso3, CAST(reporter_code AS VARCHAR))
             ELSE coalesce(partner_iso3, CAST(partner_code AS VARCHAR)) END AS counterpart,
        year(period_start) AS year
    FROM with_target
),
-- Only the chapters, and the directions, that some measure's scope names: no other row can be
-- in scope, and a row's finer rows share its chapter and its flow.
chapters AS (
    SELECT DISTINCT left(s.prefix, 2) AS chapter, m.direction
    FROM scopes s JOIN measures m USING (measure_id) WHERE NOT s.excluded
),
t AS MATERIALIZED (
    SELECT d.* FROM directed d
    SEMI JOIN chapters c ON left(d.hs_code, 2) = c.chapter AND d.direction = c.direction
),
-- The finest level present: a chapter or heading row goes when rows below it are present.
-- Parents are left repeated: the anti-join needs one, and removing repeats costs more.
parents AS (
    SELECT reporter, partner, flow, period_start, period_end, left(hs_code, 2) AS code
    FROM t WHERE hs_level > 2
    UNION ALL
    SELECT reporter, partner, flow, period_start, period_end, left(hs_code, 4)
    FROM t WHERE hs_level > 4
),
finest AS (
    SELECT t.* FROM t
    ANTI JOIN parents p
        ON t.reporter = p.reporter AND t.partner = p.partner AND t.flow = p.flow
       AND t.period_start = p.period_start AND t.period_end = p.period_end
       AND t.hs_code = p.code
),
-- Twelve months when all are present, else the annual row, else the months present.
per_year AS (
    SELECT reporter, partner, flow, hs_code, year,
        count(DISTINCT period_start) FILTER (WHERE frequency = 'monthly') AS months,
        bool_or(frequency <> 'monthly') AS has_annual
    FROM finest GROUP BY ALL
),
by_frequency AS (
    SELECT finest.*,
        CASE WHEN frequency = 'monthly' THEN months = 12 OR NOT has_annual
             ELSE months <> 12 END AS counted,
        CASE WHEN frequency = 'monthly' THEN strftime(period_start, '%Y-%m')
             ELSE strftime(period_start, '%Y') END AS period,
        CASE side WHEN 'partner' THEN 0 WHEN 'reconciled' THEN 1 ELSE 2 END AS side_rank
    FROM finest JOIN per_year USING (reporter, partner, flow, hs_code, year)
),
-- One trade seen from several sides counts once: a partner's report, else a reconciled
-- figure, else the target's own.
best_side AS (
    SELECT counterpart, direction, hs_code, year, min(side_rank) AS best
    FROM by_frequency GROUP BY ALL
),
f AS MATERIALIZED (
    SELECT b.* REPLACE (b.counted AND b.side_rank = s.best AS counted)
    FROM by_frequency b JOIN best_side s USING (counterpart, direction, hs_code, year)
),
-- A flow matched by two scope rows of one measure counts once. `{{dedupe}}` is that
-- DISTINCT ON, filled in only when some scope row of a measure begins another's, as `check`
-- de-duplicates only then: otherwise a flow matches each measure once at most.
matched AS MATERIALIZED (
    SELECT {dedupe} f.*, s.measure_id
    FROM f JOIN scopes s
        ON NOT s.excluded AND left(f.hs_code, 2) = left(s.prefix, 2)
       AND starts_with(f.hs_code, s.prefix)
    WHERE NOT EXISTS (
        SELECT 1 FROM scopes x
        WHERE x.excluded AND x.measure_id = s.measure_id AND starts_with(f.hs_code, x.prefix)
    )
),
-- The rules over each pair's code. A partner's import names the goods' origin unless the
-- reporter attributes imports by consignment: then no exemption for foreign goods applies.
pair_rules AS (
    SELECT x.ingest_id, x.source_row, x.measure_id,
        bool_or(r.rule = 'grace' AND starts_with(x.hs_code, r.prefix)) AS graced,
        bool_or(r.rule = 'exemption' AND starts_with(x.hs_code, r.prefix)
                AND NOT (r.by_origin AND x.side = 'partner' AND x.flow = 'import'
                         AND x.reporter NOT IN (SELECT CAST(reporter AS VARCHAR) FROM consignment
                                                WHERE reporter IS NOT NULL))) AS claimable,
        max(r.over) FILTER (WHERE r.rule = 'item_value' AND starts_with(x.hs_code, r.prefix))
            AS over
    FROM matched x JOIN rules r USING (measure_id)
    GROUP BY ALL
),
judged AS (
    SELECT x.*, m.start, m.effective_end, m.kind, m.direction AS measure_direction,
        CASE WHEN p.graced THEN m.grace_end END AS grace_end,
        coalesce(p.claimable, false) AS claimable, p.over,
        x.value_usd / nullif(x.quantity * CASE lower(x.quantity_unit)
            WHEN 'u' THEN 1 WHEN '2u' THEN 2 WHEN '12u' THEN 12 WHEN '1000u' THEN 1000 END, 0)
            AS per_item
    FROM matched x JOIN measures m USING (measure_id)
    LEFT JOIN pair_rules p USING (ingest_id, source_row, measure_id)
),

bans AS (
    SELECT 'ban' AS kind, measure_id,
        CASE
            WHEN period_start < start
              OR (effective_end IS NOT NULL AND period_end > effective_end)
              OR (grace_end IS NOT NULL AND period_start <= grace_end
                  AND period_end > grace_end) THEN 'undetermined'
            WHEN grace_end IS NOT NULL AND period_end <= grace_end THEN 'in_grace'
            WHEN over IS NOT NULL AND NOT coalesce(per_item > over, false) THEN 'undetermined'
            WHEN claimable THEN 'exemption_claimable'
            ELSE 'breach'
        END AS status,
        reporter, flow, period, hs_code, value_usd, counted, source_row,
        NULL::DOUBLE AS used_pct, NULL::STRUCT(threshold DOUBLE, period VARCHAR)[] AS crossed
    FROM judged
    WHERE kind = 'ban' AND measure_direction = direction
      AND period_end >= start
      AND (effective_end IS NULL OR period_start <= effective_end)
      AND (value_usd > 0 OR net_weight_kg > 0 OR quantity > 0)
),

-- Rows coarser than a ban's scope (chapter 26 against 2601), for the value their own finer
-- rows leave unexplained; a scope code under a finer row present is that row's to judge.
coarse_rows AS (SELECT * FROM t WHERE hs_level IN (2, 4)),
coarse_pairs AS (
    SELECT c.ingest_id, c.source_row, s.measure_id, s.prefix
    FROM coarse_rows c
    JOIN scopes s
        ON NOT s.excluded AND left(c.hs_code, 2) = left(s.prefix, 2)
       AND length(s.prefix) > c.hs_level AND starts_with(s.prefix, c.hs_code)
    JOIN measures m ON m.measure_id = s.measure_id AND m.kind = 'ban'
    WHERE NOT EXISTS (
        SELECT 1 FROM t x
        WHERE x.reporter = c.reporter AND x.partner = c.partner AND x.flow = c.flow
          AND x.period_start = c.period_start AND x.period_end = c.period_end
          AND left(x.hs_code, 2) = left(c.hs_code, 2)
          AND x.hs_level > c.hs_level AND starts_with(x.hs_code, c.hs_code)
          AND starts_with(s.prefix, x.hs_code)
    )
),
coarse_measures AS (SELECT DISTINCT ingest_id, source_row, measure_id FROM coarse_pairs),
explained AS (
    SELECT ingest_id, source_row, max(total) AS explained
    FROM (
        SELECT c.ingest_id, c.source_row, x.hs_level, sum(x.value_usd) AS total
        FROM coarse_rows c
        JOIN t x
            ON x.reporter = c.reporter AND x.partner = c.partner AND x.flow = c.flow
           AND x.period_start = c.period_start AND x.period_end = c.period_end
           AND left(x.hs_code, 2) = left(c.hs_code, 2)
           AND x.hs_level > c.hs_level AND starts_with(x.hs_code, c.hs_code)
        SEMI JOIN coarse_measures u
            ON u.ingest_id = c.ingest_id AND u.source_row = c.source_row
        GROUP BY ALL
    )
    GROUP BY ALL
),
coarse AS (
    SELECT 'ban' AS kind, m.measure_id, 'undetermined' AS status, c.reporter, c.flow,
        CASE WHEN c.frequency = 'monthly' THEN strftime(c.period_start, '%Y-%m')
             ELSE strftime(c.period_start, '%Y') END AS period,
        c.hs_code,
        CASE WHEN e.explained IS NULL THEN c.value_usd ELSE c.value_usd - e.explained END
            AS value_usd,
        false AS counted, c.source_row,
        NULL::DOUBLE AS used_pct, NULL::STRUCT(threshold DOUBLE, period VARCHAR)[] AS crossed
    FROM coarse_measures u
    JOIN coarse_rows c USING (ingest_id, source_row)
    JOIN measures m ON m.measure_id = u.measure_id AND m.direction = c.direction
    LEFT JOIN explained e USING (ingest_id, source_row)
    WHERE (c.value_usd - coalesce(e.explained, 0) > 1
           OR (e.explained IS NULL AND (c.net_weight_kg > 0 OR c.quantity > 0)))
      AND c.period_end >= m.start
      AND (m.effective_end IS NULL OR c.period_start <= m.effective_end)
),

-- Caps: the periods each term's limits apply to, cut to the term; then the standing limits
-- from the day after the last term up to the measure's end or the data's last day.
caps AS (SELECT * FROM measures WHERE kind = 'cap'),
terms AS (
    -- Casts: a column of VALUES all null is not read as dates.
    SELECT *, coalesce(CAST(term_end AS DATE), (SELECT max(period_end) FROM f), term_start)
            AS stop,
        coalesce(CAST(anchor AS DATE), term_start) AS first_anchor
    FROM cap_terms
),
windows AS (
    SELECT measure_id, term_start, term_start AS window_start, stop AS window_end
    FROM terms WHERE cap_kind = 'whole' AND term_start <= stop
    UNION ALL
    SELECT measure_id, term_start, greatest(term_start, make_date(y, 1, 1)),
        least(make_date(y, 12, 31), stop)
    FROM (SELECT *, unnest(range(year(term_start), year(stop) + 1)) AS y FROM terms
          WHERE cap_kind = 'calendar_year' AND term_start <= stop)
    UNION ALL
    -- Twelve-month periods run their full length past the standing limits' end.
    SELECT measure_id, term_start, greatest(first, term_start),
        CASE WHEN standing THEN last ELSE least(last, stop) END
    FROM (
        SELECT *, CAST(first_anchor + to_months(12 * k) AS DATE) AS first,
            CAST(first_anchor + to_months(12 * (k + 1)) - INTERVAL 1 DAY AS DATE) AS last
        FROM (SELECT *, unnest(range(0, 12 * (year(stop) - year(first_anchor) + 1))) AS k
              FROM terms WHERE cap_kind = 'twelve_months')
    )
    WHERE first <= stop AND last >= term_start
),
-- Barrels: reported; else litres at 158.987 l/bbl; else net weight times the product's factor
-- (by HS prefix), else the measure's.
in_scope AS (
    SELECT x.*, m.start, m.effective_end, m.per_supplier,
        CAST(m.baseline_start AS DATE) AS baseline_start,
        CAST(m.baseline_end AS DATE) AS baseline_end, m.baseline_unit,
        x.value_usd AS q_usd, x.net_weight_kg / 1000 AS q_tonne,
        CASE WHEN lower(x.quantity_unit) IN ('bbl', 'barrel', 'barrels')
                  AND x.quantity IS NOT NULL THEN x.quantity
             WHEN lower(x.quantity_unit) IN ('l', 'litre', 'litres', 'liter', 'liters')
                  AND x.quantity IS NOT NULL THEN x.quantity / 158.987
             ELSE x.net_weight_kg / 1000 * coalesce(p.factor, m.factor) END AS q_barrel
    FROM matched x JOIN measures m USING (measure_id)
    LEFT JOIN products p ON starts_with(x.hs_code, p.prefix)
    WHERE m.kind = 'cap' AND x.counted AND m.direction = x.direction
),
-- A row that begins before its cap period cannot be split: it names the period's reporters
-- but is not summed.
steps AS (
    SELECT measure_id, window_start, window_end, term_start,
        CASE WHEN per_supplier THEN reporter ELSE '*' END AS supplier,
        period_end, period, count(*) FILTER (WHERE NOT before) AS n,
        list(DISTINCT reporter) AS reporters,
        sum(q_usd) FILTER (WHERE NOT before) AS used_usd,
        count(*) FILTER (WHERE q_usd IS NULL AND NOT before) AS missing_usd,
        sum(q_tonne) FILTER (WHERE NOT before) AS used_tonne,
        count(*) FILTER (WHERE q_tonne IS NULL AND NOT before) AS missing_tonne,
        sum(q_barrel) FILTER (WHERE NOT before) AS used_barrel,
        count(*) FILTER (WHERE q_barrel IS NULL AND NOT before) AS missing_barrel
    FROM (
        SELECT i.*, w.window_start, w.window_end, w.term_start,
            i.period_start < w.window_start AS before
        FROM in_scope i JOIN windows w
            ON w.measure_id = i.measure_id
           AND greatest(i.period_start, i.start) BETWEEN w.window_start AND w.window_end
        WHERE i.period_end >= i.start
          AND i.period_start <= coalesce(i.effective_end, DATE '9999-12-31')
    )
    GROUP BY ALL
),
-- Each supplier's own trade over a per-supplier cap's baseline window is its limit.
baselines AS (
    SELECT measure_id, reporter AS supplier, baseline_unit AS unit,
        sum(CASE baseline_unit WHEN 'USD' THEN q_usd WHEN 'tonne' THEN q_tonne
                 ELSE q_barrel END) AS amount
    FROM in_scope
    WHERE per_supplier AND period_end >= baseline_start AND period_start <= baseline_end
    GROUP BY ALL
),
-- The limits of the term a cap period belongs to, and each supplier's own baseline.
limits AS (
    SELECT DISTINCT s.measure_id, s.window_start, s.supplier, l.unit, l.amount
    FROM steps s JOIN cap_limits l USING (measure_id, term_start)
    UNION ALL
    SELECT DISTINCT s.measure_id, s.window_start, s.supplier, c.baseline_unit, b.amount
    FROM steps s JOIN caps c USING (measure_id)
    LEFT JOIN baselines b USING (measure_id, supplier)
    WHERE c.per_supplier
),
per_unit AS (
    SELECT s.*, l.unit, l.amount,
        CASE l.unit WHEN 'USD' THEN used_usd WHEN 'tonne' THEN used_tonne
             ELSE used_barrel END AS used,
        CASE l.unit WHEN 'USD' THEN missing_usd WHEN 'tonne' THEN missing_tonne
             ELSE missing_barrel END AS missing
    FROM steps s JOIN limits l USING (measure_id, window_start, supplier)
),
running AS (
    SELECT *,
        sum(coalesce(used, 0)) OVER (
            PARTITION BY measure_id, window_start, supplier, unit
            ORDER BY period_end, period ROWS UNBOUNDED PRECEDING
        ) AS total
    FROM per_unit
),
step_pct AS (
    SELECT measure_id, window_start, supplier, period_end, period,
        max(total / amount * 100) FILTER (WHERE amount <> 0 AND missing < n) AS pct
    FROM running GROUP BY ALL
),
crossed AS (
    SELECT measure_id, window_start, supplier,
        list({{'threshold': threshold, 'period': period}} ORDER BY threshold) AS crossed
    FROM (
        SELECT p.measure_id, p.window_start, p.supplier, th.threshold,
            arg_min(p.period, (p.period_end, p.period)) AS period
        FROM step_pct p
        JOIN (SELECT measure_id, unnest(thresholds) AS threshold FROM caps) th
            USING (measure_id)
        WHERE p.pct >= th.threshold
        GROUP BY ALL
    )
    GROUP BY ALL
),
unit_totals AS (
    SELECT measure_id, window_start, window_end, supplier, unit, amount,
        CASE WHEN sum(missing) < sum(n) THEN sum(coalesce(used, 0)) END AS used
    FROM per_unit GROUP BY ALL
),
decided AS (
    SELECT measure_id, window_start, window_end, supplier,
        max(used / amount * 100) FILTER (WHERE amount <> 0) AS used_pct
    FROM unit_totals GROUP BY ALL
),
cap_rows AS (
    SELECT 'cap' AS kind, d.measure_id,
        CASE
            WHEN d.used_pct IS NULL THEN 'undetermined'
            WHEN d.used_pct > 100 THEN 'cap_exceeded'
            WHEN d.used_pct >= coalesce(list_min(c.thresholds), 100) THEN 'threshold_reached'
            ELSE 'within_cap'
        END AS status,
        r.reporters AS reporter, NULL AS flow,
        CASE WHEN strftime(d.window_start, '%m-%d') = '01-01'
                  AND strftime(d.window_end, '%m-%d') = '12-31'
                  AND year(d.window_start) = year(d.window_end)
             THEN CAST(year(d.window_start) AS VARCHAR)
             ELSE CAST(d.window_start AS VARCHAR) || '..' || CAST(d.window_end AS VARCHAR)
        END AS period,
        NULL AS hs_code, NULL::DOUBLE AS value_usd, NULL::BOOLEAN AS counted,
        NULL::BIGINT AS source_row, d.used_pct,
        coalesce(x.crossed, []) AS crossed
    FROM decided d
    JOIN caps c USING (measure_id)
    JOIN (
        SELECT measure_id, window_start, supplier,
            array_to_string(list_sort(list_distinct(flatten(list(reporters)))), ',') AS reporters
        FROM steps GROUP BY ALL
    ) r USING (measure_id, window_start, supplier)
    LEFT JOIN crossed x USING (measure_id, window_start, supplier)
)
SELECT * FROM bans
UNION ALL
SELECT * FROM coarse
UNION ALL
SELECT * FROM cap_rows
