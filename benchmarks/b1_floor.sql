-- B1's floor: the UN DPRK findings in one hand-written DuckDB query over the store's flows.
--
-- The regime comes in as three small tables of VALUES (measures, scope prefixes, cap limits),
-- filled in from the catalog by benchmarks/_common.py; everything else is written here by
-- hand. It computes the columns B1 compares (measure, status, reporter, flow, period, HS
-- code, value, counted and source row for bans; status, reporters, cap period, used share
-- and thresholds crossed for caps), and none of the prose `check` writes into its reasons.
WITH
measures (measure_id, kind, direction, start, effective_end, grace_end, exemption,
          cap_end, cap_kind, anchor, factor, per_supplier, thresholds,
          baseline_start, baseline_end, baseline_unit) AS (
    VALUES {measures}
),
scopes (measure_id, prefix, excluded) AS (VALUES {scopes}),
cap_limits (measure_id, unit, amount) AS (VALUES {limits}),

-- Trade with the target, one row per flow, TOTAL rows left out. Two disjoint equalities rather
-- than one OR: DuckDB pushes each into the scan, where an OR makes it read every column.
with_target AS (
    SELECT * FROM flows WHERE partner_code = {target_code} AND hs_level > 0
    UNION ALL
    SELECT * FROM flows
    WHERE partner_iso3 = '{target}' AND partner_code IS DISTINCT FROM {target_code}
      AND hs_level > 0
),
directed AS (
    SELECT *,
        CASE WHEN flow IN ('import', 're-import') THEN 'from_target' ELSE 'to_target' END
            AS direction,
        coalesce(reporter_iso3, CAST(reporter_code AS VARCHAR)) AS reporter,
        coalesce(partner_iso3, CAST(partner_code AS VARCHAR)) AS partner,
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
f AS MATERIALIZED (
    SELECT finest.*,
        CASE WHEN frequency = 'monthly' THEN months = 12 OR NOT has_annual
             ELSE months <> 12 END AS counted,
        CASE WHEN frequency = 'monthly' THEN strftime(period_start, '%Y-%m')
             ELSE strftime(period_start, '%Y') END AS period
    FROM finest JOIN per_year USING (reporter, partner, flow, hs_code, year)
),
matched AS MATERIALIZED (
    SELECT DISTINCT ON (f.ingest_id, f.source_row, s.measure_id) f.*, s.measure_id
    FROM f JOIN scopes s
        ON NOT s.excluded AND left(f.hs_code, 2) = left(s.prefix, 2)
       AND starts_with(f.hs_code, s.prefix)
    WHERE NOT EXISTS (
        SELECT 1 FROM scopes x
        WHERE x.excluded AND x.measure_id = s.measure_id AND starts_with(f.hs_code, x.prefix)
    )
),

bans AS (
    SELECT 'ban' AS kind, m.measure_id,
        CASE
            WHEN x.period_start < m.start
              OR (m.effective_end IS NOT NULL AND x.period_end > m.effective_end)
              OR (m.grace_end IS NOT NULL AND x.period_start <= m.grace_end
                  AND x.period_end > m.grace_end) THEN 'undetermined'
            WHEN m.grace_end IS NOT NULL AND x.period_end <= m.grace_end THEN 'in_grace'
            WHEN m.exemption THEN 'exemption_claimable'
            ELSE 'breach'
        END AS status,
        x.reporter, x.flow, x.period, x.hs_code, x.value_usd, x.counted, x.source_row,
        NULL::DOUBLE AS used_pct, NULL::STRUCT(threshold DOUBLE, period VARCHAR)[] AS crossed
    FROM matched x JOIN measures m USING (measure_id)
    WHERE m.kind = 'ban' AND m.direction = x.direction
      AND x.period_end >= m.start
      AND (m.effective_end IS NULL OR x.period_start <= m.effective_end)
      AND (x.value_usd > 0 OR x.net_weight_kg > 0 OR x.quantity > 0)
),

-- Caps: the periods each limit applies to, up to the measure's end or the data's last day.
caps AS (
    SELECT m.*, coalesce(m.cap_end, (SELECT max(period_end) FROM f), m.start) AS stop
    FROM measures m WHERE m.kind = 'cap'
),
windows AS (
    SELECT measure_id, start AS window_start, coalesce(cap_end, stop) AS window_end
    FROM caps WHERE cap_kind = 'whole'
    UNION ALL
    SELECT measure_id, greatest(start, make_date(y, 1, 1)), least(make_date(y, 12, 31), stop)
    FROM (SELECT *, unnest(range(year(start), year(stop) + 1)) AS y FROM caps
          WHERE cap_kind = 'calendar_year')
    UNION ALL
    SELECT measure_id, CAST(anchor + to_months(12 * k) AS DATE),
        CAST(anchor + to_months(12 * (k + 1)) - INTERVAL 1 DAY AS DATE)
    FROM (SELECT *, unnest(range(0, 12 * (year(stop) - year(anchor) + 1))) AS k FROM caps
          WHERE cap_kind = 'twelve_months')
    WHERE anchor + to_months(12 * k) <= stop
),
in_scope AS (
    SELECT x.*, m.start, m.effective_end, m.factor, m.per_supplier,
        m.baseline_start, m.baseline_end, m.baseline_unit,
        x.value_usd AS q_usd, x.net_weight_kg / 1000 AS q_tonne,
        CASE WHEN lower(x.quantity_unit) IN ('bbl', 'barrel', 'barrels') THEN x.quantity
             ELSE x.net_weight_kg / 1000 * m.factor END AS q_barrel
    FROM matched x JOIN measures m USING (measure_id)
    WHERE m.kind = 'cap' AND x.counted AND m.direction = x.direction
),
steps AS (
    SELECT i.measure_id, w.window_start, w.window_end,
        CASE WHEN i.per_supplier THEN i.reporter ELSE '*' END AS supplier,
        i.period_end, i.period, count(*) AS n, list(DISTINCT i.reporter) AS reporters,
        sum(q_usd) AS used_usd, count(*) FILTER (WHERE q_usd IS NULL) AS missing_usd,
        sum(q_tonne) AS used_tonne, count(*) FILTER (WHERE q_tonne IS NULL) AS missing_tonne,
        sum(q_barrel) AS used_barrel, count(*) FILTER (WHERE q_barrel IS NULL) AS missing_barrel
    FROM in_scope i JOIN windows w
        ON w.measure_id = i.measure_id
       AND greatest(i.period_start, i.start) BETWEEN w.window_start AND w.window_end
    WHERE i.period_end >= i.start
      AND i.period_start <= coalesce(i.effective_end, DATE '9999-12-31')
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
limits AS (
    SELECT DISTINCT s.measure_id, s.supplier, l.unit, l.amount
    FROM steps s JOIN cap_limits l USING (measure_id)
    UNION ALL
    SELECT DISTINCT s.measure_id, s.supplier, c.baseline_unit, b.amount
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
    FROM steps s JOIN limits l USING (measure_id, supplier)
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
SELECT * FROM cap_rows
