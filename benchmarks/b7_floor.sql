-- B7's floor: the evasion signals of a regime in one hand-written DuckDB query over the store.
--
-- The regime comes in as small tables of VALUES filled in by benchmarks/b7_signals.py: its bans
-- with their windows, the scope codes of every measure with codes as written (no correlation
-- table is loaded in the benchmark worlds, so a code matches data of any edition), the years
-- each measure was in force, the look-alikes and the neighbours; the thresholds come in as
-- literals. It computes what identifies a signal and how it ranks (kind, score, measures,
-- reporter, partner, flow, HS code, window, expected and observed US$), and none of the prose,
-- source rows or chart series `signals` writes beside them.
WITH
bans (measure_id, direction, position, start, wkey, b0, b1, a0, a1) AS (VALUES {bans}),
-- Every measure with codes: its codes as written (`excluded` for its exclusions), its
-- direction and the years it was in force.
scope_codes (measure_id, prefix, excluded) AS (VALUES {scopes}),
measures (measure_id, direction, first_year, last_year) AS (VALUES {measures}),
lookalikes (banned, code) AS (VALUES {lookalikes}),
neighbours (state) AS (VALUES {neighbours}),
-- The editions a 6-digit code as written matches: all of them, and rows naming none.
editions (version) AS (VALUES {editions}),
scopes AS (
    SELECT s.*, left(s.prefix, 2) AS chapter, length(s.prefix) = 6 AS subheading,
        m.direction, s.measure_id IN (SELECT measure_id FROM bans) AS is_ban
    FROM scope_codes s JOIN measures m USING (measure_id)
),
windows AS (SELECT DISTINCT wkey, b0, b1, a0, a1 FROM bans),
export_windows AS (SELECT DISTINCT wkey, b0, b1, a0, a1 FROM bans WHERE direction = 'from_target'),

-- The target's trade as `check` counts it: rows naming it as partner, then its own rows; the
-- finest HS level present, one frequency, one side.
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
        CASE WHEN reconciled THEN 1 WHEN as_partner THEN 0 ELSE 2 END AS side_rank,
        coalesce(reporter_iso3, CAST(reporter_code AS VARCHAR)) AS reporter_name,
        coalesce(partner_iso3, CAST(partner_code AS VARCHAR)) AS partner_name,
        CASE WHEN as_partner THEN coalesce(reporter_iso3, CAST(reporter_code AS VARCHAR))
             ELSE coalesce(partner_iso3, CAST(partner_code AS VARCHAR)) END AS counterpart,
        CAST(year(period_start) AS INTEGER) AS year
    FROM with_target
),
target_parents AS (
    SELECT reporter_name, partner_name, flow, period_start, period_end, left(hs_code, 2) AS code
    FROM directed WHERE hs_level > 2
    UNION ALL
    SELECT reporter_name, partner_name, flow, period_start, period_end, left(hs_code, 4)
    FROM directed WHERE hs_level > 4
),
target_finest AS (
    SELECT d.* FROM directed d
    ANTI JOIN target_parents p
        ON d.reporter_name = p.reporter_name AND d.partner_name = p.partner_name
       AND d.flow = p.flow AND d.period_start = p.period_start
       AND d.period_end = p.period_end AND d.hs_code = p.code
),
target_per_year AS (
    SELECT reporter_name, partner_name, flow, hs_code, year,
        count(DISTINCT period_start) FILTER (WHERE frequency = 'monthly') AS months,
        bool_or(frequency IS DISTINCT FROM 'monthly') AS has_annual
    FROM target_finest GROUP BY ALL
),
target_by_frequency AS (
    SELECT f.*,
        CASE WHEN frequency = 'monthly' THEN months = 12 OR NOT has_annual
             ELSE months <> 12 END AS frequency_counted
    FROM target_finest f JOIN target_per_year USING (reporter_name, partner_name, flow, hs_code, year)
),
best_side AS (
    SELECT counterpart, direction, hs_code, year, min(side_rank) AS best
    FROM target_by_frequency GROUP BY ALL
),
-- Seen from the counterpart: it imports what comes from the target.
target_rows AS MATERIALIZED (
    SELECT t.ingest_id, t.source_row, t.counterpart AS reporter, t.hs_code, t.hs_level,
        t.hs_version, t.year, t.value_usd, t.net_weight_kg,
        CASE t.direction WHEN 'from_target' THEN 'import' ELSE 'export' END AS trade
    FROM target_by_frequency t JOIN best_side s USING (counterpart, direction, hs_code, year)
    WHERE t.frequency_counted AND t.side_rank = s.best
),
target_years AS MATERIALIZED (
    SELECT reporter, trade, hs_code, hs_level, year,
        coalesce(sum(value_usd), 0) AS value_usd, sum(net_weight_kg) AS net_weight_kg,
        NOT bool_or(net_weight_kg IS NULL) AS weighed
    FROM target_rows GROUP BY ALL
),
-- The target's rows under each ban whose scope and direction hold them.
ban_matched AS (
    SELECT {ban_dedupe} r.*, s.measure_id
    FROM target_rows r JOIN scopes s
        ON s.is_ban AND NOT s.excluded AND left(r.hs_code, 2) = s.chapter
       AND starts_with(r.hs_code, s.prefix)
       AND (NOT s.subheading OR r.hs_version IS NULL
            OR r.hs_version IN (SELECT version FROM editions))
       AND r.trade = CASE s.direction WHEN 'from_target' THEN 'import' ELSE 'export' END
),
scoped_years AS MATERIALIZED (
    SELECT reporter, trade, hs_code, year, measure_id, sum(value_usd) AS value_usd
    FROM ban_matched x
    WHERE NOT EXISTS (
        SELECT 1 FROM scopes e
        WHERE e.excluded AND e.measure_id = x.measure_id AND starts_with(x.hs_code, e.prefix)
    )
    GROUP BY ALL
),
-- The years each reporter reported trade with the target in each window: means are per year
-- with data, and explanations name those years.
coverage AS MATERIALIZED (
    SELECT r.reporter, r.trade, w.wkey,
        count(DISTINCT r.year) FILTER (WHERE r.year <= w.b1) AS before_years,
        count(DISTINCT r.year) FILTER (WHERE r.year >= w.a0) AS after_years,
        min(r.year) FILTER (WHERE r.year <= w.b1) AS before_from,
        max(r.year) FILTER (WHERE r.year <= w.b1) AS before_to,
        min(r.year) FILTER (WHERE r.year >= w.a0) AS after_from,
        max(r.year) FILTER (WHERE r.year >= w.a0) AS after_to
    FROM (SELECT DISTINCT reporter, trade, year FROM target_years) r
    JOIN windows w ON r.year BETWEEN w.b0 AND w.a1
    GROUP BY ALL
    HAVING before_years > 0 AND after_years > 0
),
-- Per reporter, trade and ban: its trade in the ban's scope, where it fell.
fallen AS (
    SELECT s.reporter, s.trade, s.measure_id, s.wkey, s.start,
        s.before / c.before_years AS before, s.after / c.after_years AS after
    FROM (
        SELECT y.reporter, y.trade, y.measure_id, b.wkey, b.start,
            coalesce(sum(y.value_usd) FILTER (WHERE y.year <= b.b1), 0) AS before,
            coalesce(sum(y.value_usd) FILTER (WHERE y.year >= b.a0), 0) AS after
        FROM scoped_years y JOIN bans b USING (measure_id)
        WHERE y.year BETWEEN b.b0 AND b.a1
        GROUP BY ALL
    ) s JOIN coverage c USING (reporter, trade, wkey)
),
fallen_kept AS (
    SELECT * FROM fallen
    WHERE before >= {min_value} AND after <= (1 - {scope_fall}) * before
),
-- Codes in no ban's scope for that reporter and trade, their means in every window.
free_means AS MATERIALIZED (
    SELECT s.reporter, s.trade, s.hs_code, s.wkey,
        s.before / c.before_years AS before, s.after / c.after_years AS after,
        c.before_from, c.before_to, c.after_from, c.after_to
    FROM (
        SELECT y.reporter, y.trade, y.hs_code, w.wkey,
            coalesce(sum(y.value_usd) FILTER (WHERE y.year <= w.b1), 0) AS before,
            coalesce(sum(y.value_usd) FILTER (WHERE y.year >= w.a0), 0) AS after
        FROM target_years y JOIN windows w ON y.year BETWEEN w.b0 AND w.a1
        WHERE NOT EXISTS (
            SELECT 1 FROM scoped_years x
            WHERE x.reporter = y.reporter AND x.trade = y.trade AND x.hs_code = y.hs_code
        )
        GROUP BY ALL
    ) s JOIN coverage c USING (reporter, trade, wkey)
),

-- Substitution: a free import that rose while the reporter's imports under a ban fell.
substitution AS (
    SELECT 'substitution' AS kind, f.*, m.measure_id,
        ln((f.after + {min_value}) / (f.before + {min_value})) / ln({min_ratio}) AS evidence,
        evidence * log10(1 + abs(f.after - f.before) / {min_value}) AS score
    FROM free_means f
    JOIN (
        SELECT reporter, wkey, string_agg(measure_id, ',' ORDER BY start, measure_id)
            AS measure_id
        FROM fallen_kept WHERE trade = 'import' GROUP BY ALL
    ) m USING (reporter, wkey)
    WHERE f.trade = 'import' AND f.after - f.before >= {min_value} AND evidence >= 1
    QUALIFY row_number() OVER (PARTITION BY f.reporter, f.hs_code ORDER BY score DESC) = 1
),

-- Relabelling: codes beside a banned code as written (its look-alikes, heading and chapter)
-- that rose as that code's trade fell.
ban_codes AS (
    SELECT DISTINCT s.measure_id, s.prefix AS banned
    FROM scope_codes s SEMI JOIN bans b USING (measure_id) WHERE NOT s.excluded
),
near AS (
    SELECT c.measure_id, c.banned, l.code AS near, 0 AS relation
    FROM ban_codes c JOIN lookalikes l ON l.banned = c.banned
    UNION ALL
    SELECT measure_id, banned, left(banned, 4), 1 FROM ban_codes WHERE length(banned) = 6
    UNION ALL
    SELECT measure_id, banned, left(banned, 2), 2 FROM ban_codes WHERE length(banned) >= 4
),
stopped AS (
    SELECT s.reporter, s.trade, s.measure_id, s.banned, s.wkey,
        s.before / c.before_years AS drop_before, s.after / c.after_years AS drop_after
    FROM (
        SELECT y.reporter, y.trade, y.measure_id, n.banned, b.wkey,
            coalesce(sum(y.value_usd) FILTER (WHERE y.year <= b.b1), 0) AS before,
            coalesce(sum(y.value_usd) FILTER (WHERE y.year >= b.a0), 0) AS after
        FROM scoped_years y
        JOIN (SELECT DISTINCT measure_id, banned FROM near) n
            ON n.measure_id = y.measure_id AND starts_with(y.hs_code, n.banned)
        JOIN bans b ON b.measure_id = y.measure_id
        WHERE y.year BETWEEN b.b0 AND b.a1
        GROUP BY ALL
    ) s JOIN coverage c USING (reporter, trade, wkey)
    WHERE drop_before >= {min_value} AND drop_after <= (1 - {scope_fall}) * drop_before
),
relabelling AS (
    SELECT 'relabelling' AS kind, f.*, s.measure_id,
        ln((f.after + {min_value}) / (f.before + {min_value})) / ln({min_ratio}) AS evidence,
        evidence * (1 + least((f.after - f.before) / (s.drop_before - s.drop_after), 1.0))
            * log10(1 + abs(f.after - f.before) / {min_value}) AS score
    FROM free_means f
    JOIN stopped s USING (reporter, trade, wkey)
    JOIN near n ON n.measure_id = s.measure_id AND n.banned = s.banned
    WHERE starts_with(f.hs_code, n.near) AND NOT starts_with(f.hs_code, n.banned)
      AND f.after - f.before >= {min_value} AND evidence >= 1
    QUALIFY row_number() OVER (
        PARTITION BY f.reporter, f.trade, f.hs_code ORDER BY score DESC, n.relation
    ) = 1
),

-- Trade between other states that concerns the regime: a reporter that is a neighbour or a
-- counterpart of the target, or a neighbour as partner, in a chapter some measure or
-- look-alike names; the finest level and one frequency of each flow.
states AS (
    SELECT reporter AS state FROM target_years
    UNION
    SELECT state FROM neighbours
    EXCEPT
    SELECT unnest(['{target}', '{target_code}'])
),
chapters AS (
    SELECT DISTINCT chapter FROM scopes UNION SELECT left(code, 2) FROM lookalikes
),
related_raw AS (
    SELECT *,
        coalesce(reporter_iso3, CAST(reporter_code AS VARCHAR)) AS reporter,
        coalesce(partner_iso3, CAST(partner_code AS VARCHAR)) AS partner,
        CAST(year(period_start) AS INTEGER) AS year
    FROM flows
    WHERE hs_level > 0
      AND (reporter_iso3 IN (SELECT state FROM states)
           OR partner_iso3 IN (SELECT state FROM neighbours))
      AND reporter_code <> {target_code} AND coalesce(partner_code, -1) <> {target_code}
      AND coalesce(partner_iso3, '') <> '{target}'
      AND left(hs_code, 2) IN (SELECT chapter FROM chapters)
),
related_parents AS (
    SELECT reporter, partner, flow, period_start, period_end, left(hs_code, 2) AS code
    FROM related_raw WHERE hs_level > 2
    UNION ALL
    SELECT reporter, partner, flow, period_start, period_end, left(hs_code, 4)
    FROM related_raw WHERE hs_level > 4
),
related_finest AS (
    SELECT r.* FROM related_raw r
    ANTI JOIN related_parents p
        ON r.reporter = p.reporter AND r.partner = p.partner AND r.flow = p.flow
       AND r.period_start = p.period_start AND r.period_end = p.period_end
       AND r.hs_code = p.code
),
related_per_year AS (
    SELECT reporter, partner, flow, hs_code, year,
        count(DISTINCT period_start) FILTER (WHERE frequency = 'monthly') AS months,
        bool_or(frequency IS DISTINCT FROM 'monthly') AS has_annual
    FROM related_finest GROUP BY ALL
),
related AS MATERIALIZED (
    SELECT r.ingest_id, r.source_row, r.reporter, r.partner, r.hs_code, r.hs_level,
        r.hs_version, r.year, r.value_usd,
        CASE WHEN r.flow IN ('import', 're-import') THEN 'import' ELSE 'export' END AS trade,
        coalesce(r.partner_code = 0, false) AS is_world
    FROM related_finest r JOIN related_per_year y USING (reporter, partner, flow, hs_code, year)
    WHERE CASE WHEN r.frequency = 'monthly' THEN y.months = 12 OR NOT y.has_annual
               ELSE y.months <> 12 END
),

-- Diversion through third countries: a state's exports of a banned code rising beyond what
-- its imports of it and its own imports from the target explain, while the target's exports
-- of it fell.
export_items AS (
    SELECT c.measure_id, c.banned AS item
    FROM ban_codes c JOIN bans b USING (measure_id) WHERE b.direction = 'from_target'
),
carried_matched AS (
    SELECT {ban_dedupe} r.*, s.measure_id
    FROM related r JOIN scopes s
        ON s.is_ban AND NOT s.excluded AND left(r.hs_code, 2) = s.chapter
       AND starts_with(r.hs_code, s.prefix)
       AND (NOT s.subheading OR r.hs_version IS NULL
            OR r.hs_version IN (SELECT version FROM editions))
    WHERE r.reporter IN (SELECT state FROM states)
),
carried_years AS (
    SELECT x.reporter, x.measure_id, i.item, x.year,
        sum(x.value_usd) FILTER (WHERE x.trade = 'export' AND x.is_world) AS exports_world,
        sum(x.value_usd) FILTER (WHERE x.trade = 'export' AND NOT x.is_world) AS exports_others,
        sum(x.value_usd) FILTER (WHERE x.trade = 'import' AND x.is_world) AS imports_world,
        sum(x.value_usd) FILTER (WHERE x.trade = 'import' AND NOT x.is_world) AS imports_others
    FROM carried_matched x
    JOIN export_items i ON i.measure_id = x.measure_id AND starts_with(x.hs_code, i.item)
    WHERE NOT EXISTS (
        SELECT 1 FROM scopes e
        WHERE e.excluded AND e.measure_id = x.measure_id AND starts_with(x.hs_code, e.prefix)
    )
    GROUP BY ALL
),
from_target AS (
    SELECT y.reporter, y.measure_id, i.item, y.year, sum(y.value_usd) AS from_target
    FROM scoped_years y
    JOIN export_items i ON i.measure_id = y.measure_id AND starts_with(y.hs_code, i.item)
    WHERE y.trade = 'import'
    GROUP BY ALL
),
carried AS (
    SELECT c.reporter, c.measure_id, c.item, c.year,
        greatest(coalesce(c.exports_world, 0), coalesce(c.exports_others, 0)) AS exports,
        greatest(coalesce(c.imports_world, 0) - coalesce(t.from_target, 0),
                 coalesce(c.imports_others, 0)) AS imports,
        coalesce(t.from_target, 0) AS from_target
    FROM carried_years c LEFT JOIN from_target t USING (reporter, measure_id, item, year)
),
carried_means AS (
    SELECT c.reporter, c.measure_id, c.item, b.wkey,
        coalesce(sum(c.exports) FILTER (WHERE c.year <= b.b1), 0) / {window_years} AS before,
        coalesce(sum(c.exports) FILTER (WHERE c.year >= b.a0), 0) / {window_years} AS after,
        (coalesce(sum(c.imports) FILTER (WHERE c.year >= b.a0), 0)
         - coalesce(sum(c.imports) FILTER (WHERE c.year <= b.b1), 0)) / {window_years}
            AS import_rise,
        coalesce(sum(c.from_target) FILTER (WHERE c.year >= b.a0), 0) / {window_years}
            AS from_target
    FROM carried c JOIN bans b USING (measure_id)
    WHERE c.year BETWEEN b.b0 AND b.a1
    GROUP BY ALL
),
fallen_overall AS (
    SELECT * FROM (
        SELECT y.measure_id, b.wkey,
            coalesce(sum(y.value_usd) FILTER (WHERE y.year <= b.b1) / {window_years}, 0)
                AS target_before,
            coalesce(sum(y.value_usd) FILTER (WHERE y.year >= b.a0) / {window_years}, 0)
                AS target_after
        FROM scoped_years y JOIN bans b USING (measure_id)
        WHERE y.trade = 'import' AND y.year BETWEEN b.b0 AND b.a1
        GROUP BY ALL
    )
    WHERE target_before >= {min_value} AND target_after <= (1 - {scope_fall}) * target_before
),
third_countries AS (
    SELECT 'diversion' AS kind, m.*,
        m.after - m.before - greatest(m.import_rise, 0) - m.from_target AS unexplained,
        ln((m.after + {min_value}) / (m.before + {min_value})) / ln({min_ratio}) AS evidence,
        evidence * log10(1 + abs(unexplained) / {min_value}) AS score
    FROM carried_means m SEMI JOIN fallen_overall o USING (measure_id, wkey)
    WHERE unexplained >= {min_value} AND evidence >= 1
    QUALIFY row_number() OVER (PARTITION BY m.reporter, m.item ORDER BY score DESC, m.measure_id)
        = 1
),
-- New partners: states that reported trade before a ban on the target's exports but none with
-- the target, and traded with it after.
reported_before AS (
    SELECT r.reporter, w.wkey, bool_or(r.year <= w.b1) AS reported_before
    FROM (
        SELECT DISTINCT reporter_iso3 AS reporter, CAST(year(period_start) AS INTEGER) AS year
        FROM flows WHERE reporter_iso3 IN (SELECT state FROM states)
    ) r JOIN export_windows w ON r.year BETWEEN w.b0 AND w.a1
    GROUP BY ALL
),
new_partners AS (
    SELECT 'diversion' AS kind, s.*, s.with_after / s.after_years AS after,
        ln((after + {min_value}) / {min_value}) / ln({min_ratio}) AS evidence,
        evidence * log10(1 + abs(after) / {min_value}) AS score
    FROM (
        SELECT y.reporter, w.wkey, w.b0, w.b1,
            coalesce(sum(y.value_usd) FILTER (WHERE y.year <= w.b1), 0) AS with_before,
            coalesce(sum(y.value_usd) FILTER (WHERE y.year >= w.a0), 0) AS with_after,
            count(DISTINCT y.year) FILTER (WHERE y.year >= w.a0) AS after_years,
            min(y.year) FILTER (WHERE y.year >= w.a0) AS after_from,
            max(y.year) FILTER (WHERE y.year >= w.a0) AS after_to
        FROM target_years y JOIN export_windows w ON y.year BETWEEN w.b0 AND w.a1
        GROUP BY ALL
    ) s JOIN reported_before r USING (reporter, wkey)
    WHERE r.reported_before AND s.with_before = 0 AND s.after_years > 0
      AND after >= {min_value} AND evidence >= 1
    QUALIFY row_number() OVER (PARTITION BY s.reporter ORDER BY score DESC, s.wkey) = 1
),

-- Unit values: the target's HS6 flows priced far from the median of their code and year.
target_codes AS (SELECT DISTINCT hs_code, year FROM target_years WHERE hs_level = 6),
others_raw AS (
    SELECT coalesce(reporter_iso3, CAST(reporter_code AS VARCHAR)) AS reporter,
        coalesce(partner_iso3, CAST(partner_code AS VARCHAR)) AS partner,
        flow, hs_code, CAST(year(period_start) AS INTEGER) AS year, frequency, period_start,
        value_usd, net_weight_kg
    FROM flows
    WHERE hs_level = 6 AND reporter_code <> {target_code}
      AND coalesce(partner_code, -1) NOT IN ({target_code}, 0)
      AND coalesce(partner_iso3, '') <> '{target}'
),
others AS (
    SELECT o.* FROM others_raw o SEMI JOIN target_codes USING (hs_code, year)
),
others_per_year AS (
    SELECT reporter, partner, flow, hs_code, year,
        count(DISTINCT period_start) FILTER (WHERE frequency = 'monthly') AS months,
        bool_or(frequency IS DISTINCT FROM 'monthly') AS has_annual
    FROM others GROUP BY ALL
),
others_years AS (
    SELECT o.reporter, o.partner,
        CASE WHEN o.flow IN ('import', 're-import') THEN 'import' ELSE 'export' END AS trade,
        o.hs_code, o.year,
        coalesce(sum(o.value_usd), 0) AS value_usd, sum(o.net_weight_kg) AS net_weight_kg,
        NOT bool_or(o.net_weight_kg IS NULL) AS weighed
    FROM others o JOIN others_per_year y USING (reporter, partner, flow, hs_code, year)
    WHERE CASE WHEN o.frequency = 'monthly' THEN y.months = 12 OR NOT y.has_annual
               ELSE y.months <> 12 END
    GROUP BY ALL
),
priced AS MATERIALIZED (
    SELECT *, ln(value_usd / net_weight_kg) AS log_price FROM (
        SELECT reporter, '{target}' AS partner, trade, hs_code, year, value_usd, net_weight_kg,
            weighed, true AS with_target
        FROM target_years WHERE hs_level = 6
        UNION ALL
        SELECT *, false FROM others_years
    )
    WHERE weighed AND value_usd > 0 AND net_weight_kg > 0
),
medians AS (
    SELECT hs_code, year, median(log_price) AS median, count(*) AS size
    FROM priced GROUP BY ALL HAVING size >= {min_group}
),
deviations AS (
    SELECT p.hs_code, p.year, median(abs(p.log_price - m.median)) AS mad
    FROM priced p JOIN medians m USING (hs_code, year) GROUP BY ALL HAVING mad > 0
),
unit_values AS (
    SELECT 'unit-value' AS kind, p.*, m.median, d.mad,
        0.6745 * (p.log_price - m.median) / d.mad AS z,
        (1 + ln(greatest(abs(z) / {z_threshold}, 1.0)))
            * log10(1 + abs(p.value_usd) / {min_value}) AS score,
        p.net_weight_kg * exp(m.median) AS expected,
        (SELECT array_to_string(list_sort(list(DISTINCT y.measure_id)), ',')
         FROM scoped_years y
         WHERE y.reporter = p.reporter AND y.trade = p.trade AND y.hs_code = p.hs_code
           AND y.year = p.year) AS measure_id
    FROM priced p JOIN medians m USING (hs_code, year) JOIN deviations d USING (hs_code, year)
    WHERE p.with_target AND abs(z) >= {z_threshold} AND p.value_usd >= {min_value}
),

-- Mirror gaps: a neighbour and its partner disagreeing about the same trade in goods the
-- regime names, in a year a measure naming them was in force, beyond a CIF margin.
concerned AS (
    SELECT * FROM related
    WHERE hs_level >= 4 AND NOT is_world
      AND (reporter IN (SELECT state FROM neighbours) OR partner IN (SELECT state FROM neighbours))
),
named AS (
    SELECT c.ingest_id, c.source_row, s.measure_id
    FROM concerned c JOIN scopes s
        ON NOT s.excluded AND left(c.hs_code, 2) = s.chapter AND starts_with(c.hs_code, s.prefix)
       AND (NOT s.subheading OR c.hs_version IS NULL
            OR c.hs_version IN (SELECT version FROM editions))
    JOIN measures m ON m.measure_id = s.measure_id AND c.year BETWEEN m.first_year AND m.last_year
    WHERE NOT EXISTS (
        SELECT 1 FROM scopes e
        WHERE e.excluded AND e.measure_id = s.measure_id AND starts_with(c.hs_code, e.prefix)
    )
    UNION
    SELECT c.ingest_id, c.source_row, a.measure_id
    FROM concerned c
    JOIN (SELECT DISTINCT l.code, b.measure_id FROM ban_codes b JOIN lookalikes l USING (banned)) a
        ON left(c.hs_code, 2) = left(a.code, 2) AND starts_with(c.hs_code, a.code)
    JOIN measures m ON m.measure_id = a.measure_id AND c.year BETWEEN m.first_year AND m.last_year
),
sides AS (
    SELECT c.reporter AS a, c.partner AS b, left(c.hs_code, 4) AS heading, c.year,
        c.value_usd AS exported, NULL::DOUBLE AS imported, c.ingest_id, c.source_row
    FROM concerned c SEMI JOIN named USING (ingest_id, source_row)
    WHERE c.trade = 'export'
    UNION ALL
    SELECT c.partner, c.reporter, left(c.hs_code, 4), c.year, NULL, c.value_usd,
        c.ingest_id, c.source_row
    FROM concerned c SEMI JOIN named USING (ingest_id, source_row)
    WHERE c.trade = 'import'
),
pair_sums AS (
    SELECT a, b, heading, year,
        coalesce(sum(exported), 0) AS exported, coalesce(sum(imported), 0) AS imported,
        sum(count(exported)) OVER (PARTITION BY a, b, year) AS pair_exports,
        sum(count(imported)) OVER (PARTITION BY a, b, year) AS pair_imports
    FROM sides GROUP BY a, b, heading, year
),
pair_measures AS (
    SELECT s.a, s.b, s.heading, s.year,
        array_to_string(list_sort(list(DISTINCT n.measure_id)), ',') AS measure_id
    FROM sides s JOIN named n USING (ingest_id, source_row)
    GROUP BY ALL
),
-- Only pairs where both sides reported trade with each other that year.
pairs AS (
    SELECT * FROM pair_sums JOIN pair_measures USING (a, b, heading, year)
    WHERE pair_exports > 0 AND pair_imports > 0
),
traded AS (SELECT DISTINCT reporter AS state, left(hs_code, 4) AS heading FROM target_years),
mirror_gaps AS (
    SELECT 'mirror-gap' AS kind, p.*, p.exported * (1 + {cif_margin}) AS expected,
        p.imported - expected AS gap,
        abs(ln((p.imported + {min_value}) / (expected + {min_value}))) / ln(1 + {tolerance})
            AS evidence,
        evidence * log10(1 + abs(gap) / {min_value}) AS score
    FROM pairs p
    WHERE (EXISTS (SELECT 1 FROM traded t WHERE t.state = p.a AND t.heading = p.heading)
           OR EXISTS (SELECT 1 FROM traded t WHERE t.state = p.b AND t.heading = p.heading))
      AND abs(gap) >= {min_value} AND evidence >= 1
),

found AS (
    SELECT kind, score, measure_id, reporter, '{target}' AS partner, 'import' AS flow, hs_code,
        CASE WHEN before_from = before_to THEN CAST(before_from AS VARCHAR)
             ELSE before_from || '-' || before_to END || ' vs ' ||
        CASE WHEN after_from = after_to THEN CAST(after_from AS VARCHAR)
             ELSE after_from || '-' || after_to END AS "window",
        before AS expected_usd, after AS observed_usd
    FROM substitution
    UNION ALL
    SELECT kind, score, measure_id, reporter, '{target}', trade, hs_code,
        CASE WHEN before_from = before_to THEN CAST(before_from AS VARCHAR)
             ELSE before_from || '-' || before_to END || ' vs ' ||
        CASE WHEN after_from = after_to THEN CAST(after_from AS VARCHAR)
             ELSE after_from || '-' || after_to END,
        before, after
    FROM relabelling
    UNION ALL
    SELECT kind, score, measure_id, reporter, 'all but {target}', 'export', item, wkey,
        before, after
    FROM third_countries
    UNION ALL
    SELECT n.kind, n.score,
        (SELECT string_agg(b.measure_id, ',' ORDER BY b.position) FROM bans b
         WHERE b.direction = 'from_target' AND b.wkey = n.wkey),
        n.reporter, '{target}', 'import and export', 'all',
        CASE WHEN n.b0 = n.b1 THEN CAST(n.b0 AS VARCHAR) ELSE n.b0 || '-' || n.b1 END || ' vs ' ||
        CASE WHEN n.after_from = n.after_to THEN CAST(n.after_from AS VARCHAR)
             ELSE n.after_from || '-' || n.after_to END,
        0.0, n.after
    FROM new_partners n
    UNION ALL
    SELECT kind, score, measure_id, reporter, partner, trade, hs_code, CAST(year AS VARCHAR),
        expected, value_usd
    FROM unit_values
    UNION ALL
    SELECT kind, score, measure_id, a, b, 'export vs import', heading, CAST(year AS VARCHAR),
        expected, imported
    FROM mirror_gaps
)
-- A code that is a relabelling is not also a substitution for the same reporter.
SELECT * FROM found f
WHERE f.kind <> 'substitution' OR NOT EXISTS (
    SELECT 1 FROM found r
    WHERE r.kind = 'relabelling' AND r.reporter = f.reporter AND r.hs_code = f.hs_code
)
ORDER BY score DESC, kind, reporter, hs_code
