-- A hand-written DuckDB SQL reference for seven checks of `peerpath audit run`, over the
-- Parquet files of a claims extract in the folder named by the macro `folder`, for Texas
-- (tx-pss-2019) and North Carolina (nc-8g-2025) claims from 2025-04-30 on. It is the yardstick
-- of scripts/bench_audit.py and is tested to give the same findings as the engine on
-- synthetic extracts (tests/integrity/test_reference.py). The figures are the packs' own,
-- written here as constants:
--   TX: modality in person only; settings home (12), office (11), community (99);
--       minimum age 21; 104 units in any rolling 6 months.
--   NC: modalities in person, audio-video (GT), audio only (KX); settings home, office,
--       community and emergency department (23); minimum age 18; prior approval: units
--       used within an authorization may not exceed those approved.
--   Both: a mental-health or substance-use diagnosis (ICD-10-CM chapter F) active on the
--       first day of service; a current certification of the rendering peer.
-- Output: rule_id, beneficiary_id, claim_id, line_number (NULL for a person or an
-- authorization), subject_type.

CREATE OR REPLACE TEMP TABLE headers AS
SELECT * FROM read_parquet(getvariable('folder') || '/claim_headers.parquet');

-- Each claim family's root: follow original_claim_id up the chain.
CREATE OR REPLACE TEMP TABLE family AS
WITH RECURSIVE up(claim_id, family, depth) AS (
    SELECT claim_id, claim_id, 0 FROM headers
    WHERE original_claim_id IS NULL OR original_claim_id = ''
    UNION ALL
    SELECT h.claim_id, up.family, up.depth + 1
    FROM headers h JOIN up ON h.original_claim_id = up.claim_id
    WHERE h.claim_id <> up.claim_id AND up.depth < 100
)
SELECT claim_id, family FROM up;

-- The last adjudicated version of each family, unless it is a void.
CREATE OR REPLACE TEMP TABLE final AS
SELECT * FROM (
    SELECT h.*, row_number() OVER (PARTITION BY f.family ORDER BY h.adjudication_date DESC,
        (h.adjustment_indicator <> '0') DESC, h.claim_id DESC) AS rk
    FROM headers h JOIN family f USING (claim_id)
) WHERE rk = 1 AND adjustment_indicator <> '1';

CREATE OR REPLACE TEMP TABLE lines AS
SELECT l.*, h.beneficiary_id, h.state,
    list_filter([l.modifier_1, l.modifier_2, l.modifier_3, l.modifier_4],
        lambda m: m IS NOT NULL AND m <> '') AS mods
FROM read_parquet(getvariable('folder') || '/claim_lines.parquet') l
JOIN final h USING (claim_id)
WHERE l.procedure_code = 'H0038';

CREATE OR REPLACE TEMP TABLE findings AS
-- NOTE.MODALITY_ALLOWED: a telehealth modifier where the state allows only in person.
SELECT 'NOTE.MODALITY_ALLOWED' AS rule_id, beneficiary_id, claim_id, line_number,
    'note' AS subject_type
FROM lines
WHERE (state = 'TX' AND list_has_any(mods, ['GT', 'KX', '95', '93']))

UNION ALL
-- NOTE.SETTING_ALLOWED: a place of service the state does not name.
SELECT 'NOTE.SETTING_ALLOWED', beneficiary_id, claim_id, line_number, 'note'
FROM lines
WHERE (state = 'TX' AND place_of_service NOT IN ('12', '11', '99'))
   OR (state = 'NC' AND place_of_service NOT IN ('12', '11', '99', '23'))

UNION ALL
-- ELIG.MIN_AGE: served before the minimum age (once per person).
SELECT DISTINCT 'ELIG.MIN_AGE', l.beneficiary_id, NULL, NULL, 'person'
FROM lines l
JOIN (SELECT beneficiary_id, max(date_of_birth) AS born
      FROM read_parquet(getvariable('folder') || '/eligibility.parquet')
      GROUP BY beneficiary_id) e USING (beneficiary_id)
WHERE date_sub('year', e.born, l.service_date) < CASE l.state WHEN 'TX' THEN 21 ELSE 18 END

UNION ALL
-- ELIG.DIAGNOSIS_IN_SCOPE: no chapter F diagnosis on a final claim spanning the first day.
SELECT 'ELIG.DIAGNOSIS_IN_SCOPE', f.beneficiary_id, NULL, NULL, 'person'
FROM (SELECT beneficiary_id, min(service_date) AS first_day FROM lines
      GROUP BY beneficiary_id) f
WHERE NOT EXISTS (
    SELECT 1
    FROM read_parquet(getvariable('folder') || '/claim_diagnoses.parquet') d
    JOIN final h USING (claim_id)
    WHERE h.beneficiary_id = f.beneficiary_id AND upper(d.code) LIKE 'F%'
      AND h.service_from <= f.first_day AND h.service_to >= f.first_day)

UNION ALL
-- CREDENTIAL.CURRENT: no certification of the rendering peer covers the date.
SELECT 'CREDENTIAL.CURRENT', l.beneficiary_id, l.claim_id, l.line_number, 'note'
FROM lines l
WHERE NOT EXISTS (
    SELECT 1 FROM read_parquet(getvariable('folder') || '/provider_credentials.parquet') c
    WHERE c.npi = l.rendering_npi AND c.start <= l.service_date
      AND (c."end" IS NULL OR c."end" >= l.service_date))

UNION ALL
-- UNITS.CAP (TX): more than 104 units in the 6 months up to and including this line.
-- Units so far (by date, then line) less the units of days on or before the same day
-- 6 months earlier.
SELECT 'UNITS.CAP', beneficiary_id, claim_id, line_number, 'note'
FROM (
    SELECT r.*, r.running - coalesce(d.day_total, 0) AS used
    FROM (SELECT *, sum(units) OVER (PARTITION BY beneficiary_id
                    ORDER BY service_date, claim_id, line_number ROWS UNBOUNDED PRECEDING)
                    AS running,
                (service_date - INTERVAL 6 MONTH)::DATE AS cut
          FROM lines WHERE state = 'TX') r
    ASOF LEFT JOIN (SELECT beneficiary_id, service_date AS day,
                        max(running) AS day_total
                    FROM (SELECT beneficiary_id, service_date, sum(units) OVER (
                              PARTITION BY beneficiary_id ORDER BY service_date, claim_id,
                              line_number ROWS UNBOUNDED PRECEDING) AS running
                          FROM lines WHERE state = 'TX')
                    GROUP BY beneficiary_id, service_date) d
        ON d.beneficiary_id = r.beneficiary_id AND d.day <= r.cut
)
WHERE used > 104 AND units > 0

UNION ALL
-- AUTH.UNITS_EXCEEDED (NC): a line counts toward the earliest-starting approved
-- authorization covering it; once per authorization whose running total passes its units.
SELECT DISTINCT 'AUTH.UNITS_EXCEEDED', beneficiary_id, NULL, NULL, 'authorization'
FROM (
    SELECT *, sum(units) OVER (PARTITION BY auth_number ORDER BY service_date, claim_id,
            line_number ROWS UNBOUNDED PRECEDING) AS used
    FROM (
        SELECT l.*, a.auth_number, a.units_approved,
            row_number() OVER (PARTITION BY l.claim_id, l.line_number
                ORDER BY a.start, a.auth_number) AS pick
        FROM lines l
        JOIN read_parquet(getvariable('folder') || '/prior_authorizations.parquet') a
          ON a.beneficiary_id = l.beneficiary_id AND a.start <= l.service_date
         AND (a."end" IS NULL OR a."end" >= l.service_date)
        WHERE l.state = 'NC' AND lower(a.status) IN ('approved', 'partial')
          AND a.units_approved IS NOT NULL
    ) WHERE pick = 1
) WHERE used > units_approved;

SELECT * FROM findings ORDER BY rule_id, beneficiary_id, claim_id, line_number;
