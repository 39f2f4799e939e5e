-- A fixed dataset for the golden weekly summary (summary_golden_test.go).
--
-- 射阳县 (320924) with three towns: 合德镇 (A, 320924100), 临海镇 (B,
-- 320924101) and 千秋镇 (C, 320924102, nothing happens there). The summary
-- is of ISO week 2026-W46 in Asia/Shanghai: Monday 2026-11-09 00:00 to
-- Monday 2026-11-16 00:00 (+08). The week before, 2026-W45, starts on
-- 2026-11-02; the 8-week trend starts with 2026-W39 on 2026-09-21.
--
-- Rows are written as the application writes them (engine, workflow,
-- sweeper), with fixed times, including what a week's summary must leave
-- out: events on the last second before and the first second after the
-- week, a step in the next week, a red ticket not touched this week, an
-- engine tier change (not an escalation), clocks superseded by a tier
-- change or a reopening, a merged duplicate, an event absorbed into the
-- county ticket of another category, a ticket closed on the very instant
-- the week ends. summary_golden_test.go works every number out from these
-- rows by hand.

INSERT INTO units (code, kind, town_type, parent_code, name_zh, name_en) VALUES
    ('320924', 'county', NULL, NULL, '射阳县', 'Sheyang County'),
    ('320924100', 'town', 'town', '320924', '合德镇', 'Hede'),
    ('320924101', 'town', 'town', '320924', '临海镇', 'Linhai'),
    ('320924102', 'town', 'town', '320924', '千秋镇', 'Qianqiu');

INSERT INTO grids (code, town_code, kind, name, industry) VALUES
    ('320924100-J01', '320924100', 'joint', '合德镇制造业联合网格', 'C'),
    ('320924101-J01', '320924101', 'joint', '临海镇食品建筑联合网格', 'C'),
    ('320924102-I01', '320924102', 'independent', '千秋镇独立网格', '');

INSERT INTO enterprises (credit_code, name, headcount, has_mediation_committee, town_code, grid_code) VALUES
    ('91320924MA00001013', '射阳县恒达纺织有限公司', 320, true, '320924100', '320924100-J01'),    -- E1
    ('91320924MA00001026', '射阳县海联机械有限公司', 140, true, '320924100', '320924100-J01'),    -- E2
    ('91320924MA00001039', '射阳县临海食品有限公司', 85, true, '320924101', '320924101-J01'),     -- E3
    ('91320924MA0000104C', '射阳县金港建筑工程有限公司', 210, false, '320924101', '320924101-J01'), -- E4
    ('91320924MA0000105F', '射阳县绿源农业科技有限公司', 40, true, '320924100', '320924100-J01');  -- E5

-- Tickets, with their state at the time the summary is built (Monday
-- 2026-11-16 08:00).
INSERT INTO tickets (id, enterprise, category, level, tier, status, event_count, first_event_at, last_event_at,
                     opened_at, updated_at, closed_at, rules_version, county_code, town_code, grid_code,
                     overdue_at, accepted_at, extended_due_at, merged_into)
OVERRIDING SYSTEM VALUE VALUES
    -- T101 E1: opened orange at the town tier, raised to red (county) by the
    -- engine; accepted; overdue after its county contact clock breached.
    (101, '91320924MA00001013', 'wage_arrears', 'red', 'county', 'in_progress', 3, '2026-11-09 20:00+08', '2026-11-12 14:00+08',
     '2026-11-09 20:00+08', '2026-11-12 14:00+08', NULL, 'golden', '320924', '320924100', '320924100-J01',
     '2026-11-12 08:30+08', '2026-11-10 11:00+08', NULL, NULL),
    -- T102 E2: opened in W45 at the enterprise tier, escalated to the town
    -- by the sweeper and to the county by the town's head in W46; overdue.
    (102, '91320924MA00001026', 'social_insurance_arrears', 'orange', 'county', 'dispatched', 2, '2026-11-03 09:30+08', '2026-11-11 10:00+08',
     '2026-11-03 10:00+08', '2026-11-13 15:00+08', NULL, 'golden', '320924', '320924100', '320924100-J01',
     '2026-11-12 15:00+08', NULL, NULL, NULL),
    -- T103 E3: opened on W46's first half hour, closed in W46 with money recovered.
    (103, '91320924MA00001039', 'wage_arrears', 'blue', 'enterprise', 'closed', 2, '2026-11-08 23:59:59+08', '2026-11-09 00:00:00+08',
     '2026-11-09 00:30+08', '2026-11-13 10:30+08', '2026-11-13 10:30+08', 'golden', '320924', '320924101', '320924101-J01',
     NULL, '2026-11-09 04:30+08', NULL, NULL),
    -- T104 E4: opened in W43, escalated twice by the sweeper (the second
    -- time in W45), overdue since W45.
    (104, '91320924MA0000104C', 'wage_arrears', 'yellow', 'county', 'accepted', 2, '2026-10-20 08:00+08', '2026-11-14 16:00+08',
     '2026-10-20 09:00+08', '2026-11-14 16:00+08', NULL, 'golden', '320924', '320924101', '320924101-J01',
     '2026-11-05 09:00+08', '2026-11-03 15:00+08', NULL, NULL),
    -- T105 E5: opened and replied in W45; an unhappy call-back reopens it in
    -- W46, the sweeper escalates it to the town, which accepts it.
    (105, '91320924MA0000105F', 'wage_arrears', 'blue', 'town', 'in_progress', 2, '2026-11-04 09:00+08', '2026-11-06 09:00+08',
     '2026-11-04 10:00+08', '2026-11-12 16:00+08', NULL, 'golden', '320924', '320924100', '320924100-J01',
     NULL, '2026-11-11 14:00+08', NULL, NULL),
    -- T106 E3: opened late on W46's Sunday; a third event on W47's first
    -- instant raised it to yellow.
    (106, '91320924MA00001039', 'social_insurance_arrears', 'yellow', 'enterprise', 'accepted', 3, '2026-11-15 22:00+08', '2026-11-16 00:00:00+08',
     '2026-11-15 22:10+08', '2026-11-16 00:00:05+08', NULL, 'golden', '320924', '320924101', '320924101-J01',
     NULL, '2026-11-15 23:30+08', NULL, NULL),
    -- T107 E2: opened on W46's Sunday, accepted on W47's first instant.
    (107, '91320924MA00001026', 'layoff', 'blue', 'enterprise', 'accepted', 1, '2026-11-15 17:30+08', '2026-11-15 17:30+08',
     '2026-11-15 18:00+08', '2026-11-16 00:00:00+08', NULL, 'golden', '320924', '320924100', '320924100-J01',
     NULL, '2026-11-16 00:00:00+08', NULL, NULL),
    -- T108 E2: a duplicate, merged into T102 an hour after it was opened.
    (108, '91320924MA00001026', 'pay_terms', 'orange', 'town', 'merged', 1, '2026-11-12 09:45+08', '2026-11-12 09:45+08',
     '2026-11-12 10:00+08', '2026-11-12 11:00+08', NULL, 'golden', '320924', '320924100', '320924100-J01',
     NULL, NULL, NULL, 102),
    -- T109 E4: red since W39, overdue since September, closed in W45: a red
    -- ticket not touched in W46.
    (109, '91320924MA0000104C', 'social_insurance_arrears', 'red', 'county', 'closed', 3, '2026-09-01 08:00+08', '2026-09-21 00:00:00+08',
     '2026-09-01 09:00+08', '2026-11-06 10:00+08', '2026-11-06 10:00+08', 'golden', '320924', '320924101', '320924101-J01',
     '2026-09-23 00:05+08', '2026-09-21 10:00+08', NULL, NULL),
    -- T110 E5: opened, mediated and closed within W46.
    (110, '91320924MA0000105F', 'overtime_rest', 'yellow', 'town', 'closed', 1, '2026-11-13 07:40+08', '2026-11-13 07:40+08',
     '2026-11-13 08:00+08', '2026-11-14 18:00+08', '2026-11-14 18:00+08', 'golden', '320924', '320924100', '320924100-J01',
     NULL, '2026-11-13 09:30+08', NULL, NULL),
    -- T111 E1: referred to arbitration in October, still open.
    (111, '91320924MA00001013', 'contract', 'yellow', 'town', 'referred', 1, '2026-09-28 08:00+08', '2026-09-28 08:00+08',
     '2026-09-28 09:00+08', '2026-10-10 10:00+08', NULL, 'golden', '320924', '320924100', '320924100-J01',
     NULL, '2026-09-28 14:00+08', '2026-12-31 00:00+08', NULL),
    -- T112 E3: opened in W45, its resolve clock extended, closed on the very
    -- instant W46 ends (so still open at the end of W46).
    (112, '91320924MA00001039', 'other', 'blue', 'enterprise', 'closed', 1, '2026-11-06 11:50+08', '2026-11-06 11:50+08',
     '2026-11-06 12:00+08', '2026-11-16 00:00:00+08', '2026-11-16 00:00:00+08', 'golden', '320924', '320924101', '320924101-J01',
     NULL, '2026-11-06 14:00+08', '2026-11-20 12:00+08', NULL);
SELECT setval(pg_get_serial_sequence('tickets', 'id'), 200);

-- Events, oldest first. The decision is stored as the engine stores it;
-- score and fired are what the summary reads.
INSERT INTO events (id, ticket_id, enterprise, category, occurred_at, reported_at, workers_involved, level, decision,
                    subject, stream_seq, received_at)
SELECT id, ticket_id, enterprise, category, occurred_at::timestamptz, occurred_at::timestamptz + interval '3 minutes', workers, level,
       jsonb_build_object('level', level, 'tier', tier, 'score', score, 'rules_version', 'golden', 'fired', fired::jsonb),
       'gridwarn.events.320924', seq, occurred_at::timestamptz + interval '5 minutes'
FROM (VALUES
    ('g-01', 109, '91320924MA0000104C', 'social_insurance_arrears', '2026-09-01 08:00:00+08', 40, 'orange', 'town', 62, 1,
     '[{"rule": "si_6_months", "level": "orange", "label_zh": "欠缴社保6个月以上"}]'),
    ('g-02', 109, '91320924MA0000104C', 'social_insurance_arrears', '2026-09-20 23:59:59+08', 40, 'orange', 'town', 61, 2,
     '[{"rule": "si_6_months", "level": "orange", "label_zh": "欠缴社保6个月以上"}]'),
    ('g-03', 109, '91320924MA0000104C', 'social_insurance_arrears', '2026-09-21 00:00:00+08', 45, 'red', 'county', 85, 3,
     '[{"rule": "si_12_months", "level": "red", "label_zh": "欠缴社保12个月以上"}]'),
    ('g-04', 111, '91320924MA00001013', 'contract', '2026-09-28 08:00:00+08', 12, 'yellow', 'town', 46, 4,
     '[{"rule": "no_contract", "level": "yellow", "label_zh": "未签劳动合同"}]'),
    ('g-05', 104, '91320924MA0000104C', 'wage_arrears', '2026-10-20 08:00:00+08', 18, 'yellow', 'enterprise', 45, 5,
     '[{"rule": "arrears_1_month", "level": "yellow", "label_zh": "欠薪1个月以上"}]'),
    ('g-06', 102, '91320924MA00001026', 'social_insurance_arrears', '2026-11-03 09:30:00+08', 35, 'orange', 'enterprise', 65, 6,
     '[{"rule": "si_6_months", "level": "orange", "label_zh": "欠缴社保6个月以上"}]'),
    ('g-07', 105, '91320924MA0000105F', 'wage_arrears', '2026-11-04 09:00:00+08', 6, 'blue', 'enterprise', 30, 7, '[]'),
    ('g-08', 105, '91320924MA0000105F', 'wage_arrears', '2026-11-06 09:00:00+08', 7, 'blue', 'enterprise', 33, 8, '[]'),
    ('g-09', 112, '91320924MA00001039', 'other', '2026-11-06 11:50:00+08', 2, 'blue', 'enterprise', 15, 9, '[]'),
    ('g-10', 103, '91320924MA00001039', 'wage_arrears', '2026-11-08 23:59:59+08', 9, 'blue', 'enterprise', 25, 10, '[]'),
    ('g-11', 103, '91320924MA00001039', 'wage_arrears', '2026-11-09 00:00:00+08', 12, 'blue', 'enterprise', 28, 11, '[]'),
    ('g-12', 101, '91320924MA00001013', 'wage_arrears', '2026-11-09 20:00:00+08', 35, 'orange', 'town', 58, 12,
     '[{"rule": "workers_30", "level": "orange", "label_zh": "涉及30人以上"}]'),
    ('g-13', 101, '91320924MA00001013', 'wage_arrears', '2026-11-10 08:20:00+08', 120, 'red', 'county', 92, 13,
     '[{"rule": "workers_100", "level": "red", "label_zh": "涉及100人以上"},
       {"rule": "collective_action", "level": "red", "label_zh": "集体行动或群体性事件苗头"},
       {"rule": "key_enterprise", "level": "red"},
       {"rule": "wage_arrears_any", "level": "blue", "label_zh": "欠薪"}]'),
    ('g-14', 102, '91320924MA00001026', 'social_insurance_arrears', '2026-11-11 10:00:00+08', 20, 'yellow', 'enterprise', 40, 14, '[]'),
    ('g-15', 108, '91320924MA00001026', 'pay_terms', '2026-11-12 09:45:00+08', 40, 'orange', 'town', 60, 15,
     '[{"rule": "workers_30", "level": "orange", "label_zh": "涉及30人以上"}]'),
    ('g-16', 101, '91320924MA00001013', 'social_insurance_arrears', '2026-11-12 14:00:00+08', 60, 'orange', 'town', 75, 16,
     '[{"rule": "si_6_months", "level": "orange", "label_zh": "欠缴社保6个月以上"}]'),
    ('g-17', 110, '91320924MA0000105F', 'overtime_rest', '2026-11-13 07:40:00+08', 25, 'yellow', 'town', 42, 17,
     '[{"rule": "overtime_36h", "level": "yellow", "label_zh": "月加班超过36小时"}]'),
    ('g-18', 104, '91320924MA0000104C', 'wage_arrears', '2026-11-14 16:00:00+08', 22, 'yellow', 'enterprise', 48, 18,
     '[{"rule": "arrears_1_month", "level": "yellow", "label_zh": "欠薪1个月以上"}]'),
    ('g-19', 107, '91320924MA00001026', 'layoff', '2026-11-15 17:30:00+08', 5, 'blue', 'enterprise', 20, 19, '[]'),
    ('g-20', 106, '91320924MA00001039', 'social_insurance_arrears', '2026-11-15 22:00:00+08', 4, 'blue', 'enterprise', 22, 20, '[]'),
    ('g-21', 106, '91320924MA00001039', 'social_insurance_arrears', '2026-11-15 23:59:59+08', 6, 'blue', 'enterprise', 26, 21, '[]'),
    ('g-22', 106, '91320924MA00001039', 'social_insurance_arrears', '2026-11-16 00:00:00+08', 15, 'yellow', 'enterprise', 50, 22,
     '[{"rule": "si_3_months", "level": "yellow", "label_zh": "欠缴社保3个月以上"}]')
) AS v (id, ticket_id, enterprise, category, occurred_at, workers, level, tier, score, seq, fired);

-- The history, as the engine (system:engine), the workflow (user:…) and
-- the sweeper (system:sweeper) write it.
INSERT INTO ticket_history (ticket_id, at, actor, kind, event_id, from_value, to_value, data)
SELECT ticket_id, at::timestamptz, actor, kind, event_id, from_value, to_value, data::jsonb
FROM (VALUES
    -- T109
    (109, '2026-09-01 09:00:00+08', 'system:engine', 'opened', NULL, NULL, 'orange', '{"tier": "town", "rules_version": "golden"}'),
    (109, '2026-09-01 09:00:00+08', 'system:engine', 'event_attached', 'g-01', NULL, 'orange', NULL),
    (109, '2026-09-21 00:05:00+08', 'system:engine', 'event_attached', 'g-02', NULL, 'orange', NULL),
    (109, '2026-09-21 00:05:00+08', 'system:engine', 'event_attached', 'g-03', NULL, 'red', NULL),
    (109, '2026-09-21 00:05:00+08', 'system:engine', 'level_raised', NULL, 'orange', 'red', NULL),
    (109, '2026-09-21 00:05:00+08', 'system:engine', 'tier_changed', NULL, 'town', 'county', NULL),
    (109, '2026-09-21 10:00:00+08', 'user:mediator-county-1', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (109, '2026-09-23 00:05:00+08', 'system:sweeper', 'breached', NULL, NULL, 'county', '{"clock": "contact", "clock_tier": "county"}'),
    (109, '2026-09-23 00:05:00+08', 'system:sweeper', 'overdue', NULL, NULL, NULL, '{"clock": "contact", "clock_tier": "county"}'),
    (109, '2026-11-05 15:00:00+08', 'user:mediator-county-1', 'reply', NULL, 'in_progress', 'replied',
     '{"outcome": {"result": "settled_by_mediation", "amount_recovered_cny": 30000, "workers_covered": 8}}'),
    (109, '2026-11-05 16:00:00+08', 'user:head-county', 'review', NULL, 'replied', 'reviewed', '{"approved": true}'),
    (109, '2026-11-06 09:00:00+08', 'user:mediator-county-1', 'callback', NULL, 'reviewed', 'reviewed', '{"satisfied": true}'),
    (109, '2026-11-06 10:00:00+08', 'user:mediator-county-1', 'close', NULL, 'reviewed', 'closed', NULL),
    -- T111
    (111, '2026-09-28 09:00:00+08', 'system:engine', 'opened', NULL, NULL, 'yellow', '{"tier": "town", "rules_version": "golden"}'),
    (111, '2026-09-28 09:00:00+08', 'system:engine', 'event_attached', 'g-04', NULL, 'yellow', NULL),
    (111, '2026-09-28 14:00:00+08', 'user:mediator-320924100-1', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (111, '2026-10-10 10:00:00+08', 'user:mediator-320924100-1', 'refer', NULL, 'in_progress', 'referred', '{"body": "arbitration"}'),
    -- T104
    (104, '2026-10-20 09:00:00+08', 'system:engine', 'opened', NULL, NULL, 'yellow', '{"tier": "enterprise", "rules_version": "golden"}'),
    (104, '2026-10-20 09:00:00+08', 'system:engine', 'event_attached', 'g-05', NULL, 'yellow', NULL),
    (104, '2026-10-20 14:00:00+08', 'user:mediator-e4', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (104, '2026-10-27 09:00:00+08', 'system:sweeper', 'breached', NULL, NULL, 'enterprise', '{"clock": "resolve", "clock_tier": "enterprise"}'),
    (104, '2026-10-27 09:00:00+08', 'system:sweeper', 'tier_changed', NULL, 'enterprise', 'town', '{"clock": "resolve", "clock_tier": "enterprise"}'),
    (104, '2026-10-27 15:00:00+08', 'user:mediator-320924101-1', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (104, '2026-11-03 09:00:00+08', 'system:sweeper', 'breached', NULL, NULL, 'town', '{"clock": "resolve", "clock_tier": "town"}'),
    (104, '2026-11-03 09:00:00+08', 'system:sweeper', 'tier_changed', NULL, 'town', 'county', '{"clock": "resolve", "clock_tier": "town"}'),
    (104, '2026-11-03 15:00:00+08', 'user:mediator-county-1', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (104, '2026-11-05 09:00:00+08', 'system:sweeper', 'breached', NULL, NULL, 'county', '{"clock": "contact", "clock_tier": "county"}'),
    (104, '2026-11-05 09:00:00+08', 'system:sweeper', 'overdue', NULL, NULL, NULL, '{"clock": "contact", "clock_tier": "county"}'),
    (104, '2026-11-10 09:00:00+08', 'system:sweeper', 'breached', NULL, NULL, 'county', '{"clock": "resolve", "clock_tier": "county"}'),
    (104, '2026-11-14 16:05:00+08', 'system:engine', 'event_attached', 'g-18', NULL, 'yellow', NULL),
    -- T102
    (102, '2026-11-03 10:00:00+08', 'system:engine', 'opened', NULL, NULL, 'orange', '{"tier": "enterprise", "rules_version": "golden"}'),
    (102, '2026-11-03 10:00:00+08', 'system:engine', 'event_attached', 'g-06', NULL, 'orange', NULL),
    (102, '2026-11-04 10:00:00+08', 'user:mediator-e2', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (102, '2026-11-05 09:00:00+08', 'user:mediator-e2', 'contact', NULL, 'accepted', 'accepted', NULL),
    (102, '2026-11-10 10:00:00+08', 'system:sweeper', 'breached', NULL, NULL, 'enterprise', '{"clock": "resolve", "clock_tier": "enterprise"}'),
    (102, '2026-11-10 10:00:00+08', 'system:sweeper', 'tier_changed', NULL, 'enterprise', 'town', '{"clock": "resolve", "clock_tier": "enterprise"}'),
    (102, '2026-11-10 16:00:00+08', 'user:mediator-320924100-1', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (102, '2026-11-11 10:05:00+08', 'system:engine', 'event_attached', 'g-14', NULL, 'yellow', NULL),
    (102, '2026-11-11 15:00:00+08', 'user:head-320924100', 'escalate', NULL, 'accepted', 'dispatched', '{"tier": {"from": "town", "to": "county"}}'),
    (102, '2026-11-12 11:00:00+08', 'user:head-320924100', 'note', NULL, 'dispatched', 'dispatched', '{"visibility": "internal"}'),
    (102, '2026-11-12 15:00:00+08', 'system:sweeper', 'breached', NULL, NULL, 'county', '{"clock": "accept", "clock_tier": "county"}'),
    (102, '2026-11-12 15:00:00+08', 'system:sweeper', 'overdue', NULL, NULL, NULL, '{"clock": "accept", "clock_tier": "county"}'),
    (102, '2026-11-13 15:00:00+08', 'system:sweeper', 'breached', NULL, NULL, 'county', '{"clock": "contact", "clock_tier": "county"}'),
    -- T105
    (105, '2026-11-04 10:00:00+08', 'system:engine', 'opened', NULL, NULL, 'blue', '{"tier": "enterprise", "rules_version": "golden"}'),
    (105, '2026-11-04 10:00:00+08', 'system:engine', 'event_attached', 'g-07', NULL, 'blue', NULL),
    (105, '2026-11-04 13:00:00+08', 'user:mediator-e5', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (105, '2026-11-04 14:00:00+08', 'user:mediator-e5', 'start', NULL, 'accepted', 'in_progress', NULL),
    (105, '2026-11-05 09:00:00+08', 'user:mediator-e5', 'contact', NULL, 'in_progress', 'in_progress', NULL),
    (105, '2026-11-06 09:05:00+08', 'system:engine', 'event_attached', 'g-08', NULL, 'blue', NULL),
    (105, '2026-11-06 16:00:00+08', 'user:mediator-e5', 'reply', NULL, 'in_progress', 'replied',
     '{"outcome": {"result": "paid_in_part", "amount_recovered_cny": 20000, "workers_covered": 5}}'),
    (105, '2026-11-06 17:00:00+08', 'user:head-e5', 'review', NULL, 'replied', 'reviewed', '{"approved": true}'),
    (105, '2026-11-09 10:00:00+08', 'user:mediator-e5', 'callback', NULL, 'reviewed', 'dispatched', '{"satisfied": false}'),
    (105, '2026-11-09 15:00:00+08', 'user:mediator-e5', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (105, '2026-11-09 16:00:00+08', 'user:mediator-e5', 'start', NULL, 'accepted', 'in_progress', NULL),
    (105, '2026-11-11 10:00:00+08', 'system:sweeper', 'breached', NULL, NULL, 'enterprise', '{"clock": "contact", "clock_tier": "enterprise"}'),
    (105, '2026-11-11 10:00:00+08', 'system:sweeper', 'tier_changed', NULL, 'enterprise', 'town', '{"clock": "contact", "clock_tier": "enterprise"}'),
    (105, '2026-11-11 14:00:00+08', 'user:mediator-320924100-2', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (105, '2026-11-11 15:00:00+08', 'user:mediator-320924100-2', 'start', NULL, 'accepted', 'in_progress', NULL),
    (105, '2026-11-12 16:00:00+08', 'user:mediator-320924100-2', 'contact', NULL, 'in_progress', 'in_progress', NULL),
    -- T112
    (112, '2026-11-06 12:00:00+08', 'system:engine', 'opened', NULL, NULL, 'blue', '{"tier": "enterprise", "rules_version": "golden"}'),
    (112, '2026-11-06 12:00:00+08', 'system:engine', 'event_attached', 'g-09', NULL, 'blue', NULL),
    (112, '2026-11-06 14:00:00+08', 'user:mediator-e3', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (112, '2026-11-06 15:00:00+08', 'user:mediator-e3', 'start', NULL, 'accepted', 'in_progress', NULL),
    (112, '2026-11-06 16:00:00+08', 'user:mediator-e3', 'contact', NULL, 'in_progress', 'in_progress', NULL),
    (112, '2026-11-07 10:00:00+08', 'user:mediator-e3', 'reply', NULL, 'in_progress', 'replied',
     '{"outcome": {"result": "paid_in_full", "amount_recovered_cny": 5000, "workers_covered": 2, "promised_payments": ["2026-11-15"]}}'),
    (112, '2026-11-07 11:00:00+08', 'user:head-e3', 'review', NULL, 'replied', 'reviewed', '{"approved": true}'),
    (112, '2026-11-10 09:00:00+08', 'user:head-e3', 'extend', NULL, 'reviewed', 'reviewed', '{"due_at": "2026-11-20T12:00:00+08:00"}'),
    (112, '2026-11-15 20:00:00+08', 'user:mediator-e3', 'callback', NULL, 'reviewed', 'reviewed', '{"satisfied": true}'),
    (112, '2026-11-16 00:00:00+08', 'user:mediator-e3', 'close', NULL, 'reviewed', 'closed', NULL),
    -- T103
    (103, '2026-11-09 00:30:00+08', 'system:engine', 'opened', NULL, NULL, 'blue', '{"tier": "enterprise", "rules_version": "golden"}'),
    (103, '2026-11-09 00:30:00+08', 'system:engine', 'event_attached', 'g-10', NULL, 'blue', NULL),
    (103, '2026-11-09 00:30:00+08', 'system:engine', 'event_attached', 'g-11', NULL, 'blue', NULL),
    (103, '2026-11-09 04:30:00+08', 'user:mediator-e3', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (103, '2026-11-09 05:00:00+08', 'user:mediator-e3', 'start', NULL, 'accepted', 'in_progress', NULL),
    (103, '2026-11-11 00:30:00+08', 'user:mediator-e3', 'contact', NULL, 'in_progress', 'in_progress', NULL),
    (103, '2026-11-12 10:00:00+08', 'user:mediator-e3', 'reply', NULL, 'in_progress', 'replied',
     '{"outcome": {"result": "paid_in_full", "amount_recovered_cny": 86500.50, "workers_covered": 12}}'),
    (103, '2026-11-12 15:00:00+08', 'user:head-e3', 'review', NULL, 'replied', 'reviewed', '{"approved": true}'),
    (103, '2026-11-13 09:00:00+08', 'user:mediator-e3', 'callback', NULL, 'reviewed', 'reviewed', '{"satisfied": true}'),
    (103, '2026-11-13 10:30:00+08', 'user:mediator-e3', 'close', NULL, 'reviewed', 'closed', NULL),
    -- T101
    (101, '2026-11-09 20:00:00+08', 'system:engine', 'opened', NULL, NULL, 'orange', '{"tier": "town", "rules_version": "golden"}'),
    (101, '2026-11-09 20:00:00+08', 'system:engine', 'event_attached', 'g-12', NULL, 'orange', NULL),
    (101, '2026-11-10 08:30:00+08', 'system:engine', 'event_attached', 'g-13', NULL, 'red', NULL),
    (101, '2026-11-10 08:30:00+08', 'system:engine', 'level_raised', NULL, 'orange', 'red', NULL),
    (101, '2026-11-10 08:30:00+08', 'system:engine', 'tier_changed', NULL, 'town', 'county', NULL),
    (101, '2026-11-10 10:30:00+08', 'user:mediator-county-1', 'claim', NULL, 'dispatched', 'dispatched', NULL),
    (101, '2026-11-10 11:00:00+08', 'user:mediator-county-1', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (101, '2026-11-10 12:00:00+08', 'user:mediator-county-1', 'start', NULL, 'accepted', 'in_progress', NULL),
    (101, '2026-11-12 08:30:00+08', 'system:sweeper', 'breached', NULL, NULL, 'county', '{"clock": "contact", "clock_tier": "county"}'),
    (101, '2026-11-12 08:30:00+08', 'system:sweeper', 'overdue', NULL, NULL, NULL, '{"clock": "contact", "clock_tier": "county"}'),
    (101, '2026-11-12 14:05:00+08', 'system:engine', 'event_attached', 'g-16', NULL, 'orange',
     '{"decision": {"level": "orange"}, "absorbed_category": "social_insurance_arrears"}'),
    -- T108
    (108, '2026-11-12 10:00:00+08', 'system:engine', 'opened', NULL, NULL, 'orange', '{"tier": "town", "rules_version": "golden"}'),
    (108, '2026-11-12 10:00:00+08', 'system:engine', 'event_attached', 'g-15', NULL, 'orange', NULL),
    (108, '2026-11-12 11:00:00+08', 'user:head-320924100', 'merge', NULL, 'dispatched', 'merged', '{"into": 102}'),
    -- T110
    (110, '2026-11-13 08:00:00+08', 'system:engine', 'opened', NULL, NULL, 'yellow', '{"tier": "town", "rules_version": "golden"}'),
    (110, '2026-11-13 08:00:00+08', 'system:engine', 'event_attached', 'g-17', NULL, 'yellow', NULL),
    (110, '2026-11-13 09:30:00+08', 'user:mediator-320924100-1', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (110, '2026-11-13 10:00:00+08', 'user:mediator-320924100-1', 'start', NULL, 'accepted', 'in_progress', NULL),
    (110, '2026-11-14 10:00:00+08', 'user:mediator-320924100-1', 'contact', NULL, 'in_progress', 'in_progress', NULL),
    (110, '2026-11-14 12:00:00+08', 'user:mediator-320924100-1', 'reply', NULL, 'in_progress', 'replied',
     '{"outcome": {"result": "settled_by_mediation", "amount_recovered_cny": 12000, "workers_covered": 3}}'),
    (110, '2026-11-14 13:00:00+08', 'user:head-320924100', 'review', NULL, 'replied', 'reviewed', '{"approved": true}'),
    (110, '2026-11-14 17:00:00+08', 'user:mediator-320924100-1', 'callback', NULL, 'reviewed', 'reviewed', '{"satisfied": true}'),
    (110, '2026-11-14 18:00:00+08', 'user:mediator-320924100-1', 'close', NULL, 'reviewed', 'closed', NULL),
    -- T107
    (107, '2026-11-15 18:00:00+08', 'system:engine', 'opened', NULL, NULL, 'blue', '{"tier": "enterprise", "rules_version": "golden"}'),
    (107, '2026-11-15 18:00:00+08', 'system:engine', 'event_attached', 'g-19', NULL, 'blue', NULL),
    (107, '2026-11-16 00:00:00+08', 'user:mediator-e2', 'accept', NULL, 'dispatched', 'accepted', NULL),
    -- T106
    (106, '2026-11-15 22:10:00+08', 'system:engine', 'opened', NULL, NULL, 'blue', '{"tier": "enterprise", "rules_version": "golden"}'),
    (106, '2026-11-15 22:10:00+08', 'system:engine', 'event_attached', 'g-20', NULL, 'blue', NULL),
    (106, '2026-11-15 23:30:00+08', 'user:mediator-e3', 'accept', NULL, 'dispatched', 'accepted', NULL),
    (106, '2026-11-16 00:00:05+08', 'system:engine', 'event_attached', 'g-21', NULL, 'blue', NULL),
    (106, '2026-11-16 00:00:05+08', 'system:engine', 'event_attached', 'g-22', NULL, 'yellow', NULL),
    (106, '2026-11-16 00:00:05+08', 'system:engine', 'level_raised', NULL, 'blue', 'yellow', NULL)
) AS v (ticket_id, at, actor, kind, event_id, from_value, to_value, data);

-- The clocks each tier a ticket reached started (accept, contact,
-- resolve): met when the step was done, breached when the due time passed
-- first, stopped with the reason the application records ('met', 'closed';
-- 'escalated' by the engine and the sweeper, the action's name — escalate,
-- callback — by the workflow). The reminder is at four fifths of the time.
INSERT INTO ticket_clocks (ticket_id, tier, kind, started_at, remind_at, due_at, breached_at, stopped_at, stop_reason)
SELECT ticket_id, tier, kind, started_at::timestamptz,
       started_at::timestamptz + (due_at::timestamptz - started_at::timestamptz) * 0.8, due_at::timestamptz,
       breached_at::timestamptz, stopped_at::timestamptz, stop_reason
FROM (VALUES
    -- T109 at the county (from 09-21 00:05); the breached clocks were stopped at the close.
    (109, 'county', 'accept', '2026-09-21 00:05+08', '2026-09-22 00:05+08', NULL, '2026-09-21 10:00+08', 'met'),
    (109, 'county', 'contact', '2026-09-21 00:05+08', '2026-09-23 00:05+08', '2026-09-23 00:05+08', '2026-11-06 10:00+08', 'closed'),
    (109, 'county', 'resolve', '2026-09-21 00:05+08', '2026-09-28 00:05+08', '2026-09-28 00:05+08', '2026-11-06 10:00+08', 'closed'),
    -- T111 at the town; the resolve clock extended to the end of the year.
    (111, 'town', 'accept', '2026-09-28 09:00+08', '2026-09-29 09:00+08', NULL, '2026-09-28 14:00+08', 'met'),
    (111, 'town', 'contact', '2026-09-28 09:00+08', '2026-09-30 09:00+08', NULL, '2026-09-29 10:00+08', 'met'),
    (111, 'town', 'resolve', '2026-09-28 09:00+08', '2026-12-31 00:00+08', NULL, NULL, NULL),
    -- T104: the town's resolve clock breached in W45 and was superseded by
    -- the escalation; at the county, contact breached in W45 (overdue),
    -- resolve in W46.
    (104, 'town', 'accept', '2026-10-27 09:00+08', '2026-10-28 09:00+08', NULL, '2026-10-27 15:00+08', 'met'),
    (104, 'town', 'contact', '2026-10-27 09:00+08', '2026-10-29 09:00+08', NULL, '2026-10-28 10:00+08', 'met'),
    (104, 'town', 'resolve', '2026-10-27 09:00+08', '2026-11-03 09:00+08', '2026-11-03 09:00+08', '2026-11-03 09:00+08', 'escalated'),
    (104, 'county', 'accept', '2026-11-03 09:00+08', '2026-11-04 09:00+08', NULL, '2026-11-03 15:00+08', 'met'),
    (104, 'county', 'contact', '2026-11-03 09:00+08', '2026-11-05 09:00+08', '2026-11-05 09:00+08', NULL, NULL),
    (104, 'county', 'resolve', '2026-11-03 09:00+08', '2026-11-10 09:00+08', '2026-11-10 09:00+08', NULL, NULL),
    -- T102: enterprise (W45 accept and contact met, resolve breached in
    -- W46 and superseded by the sweeper's escalation), town (accept met;
    -- contact and resolve superseded by the head's escalate), county
    -- (accept and contact breached).
    (102, 'enterprise', 'accept', '2026-11-03 10:00+08', '2026-11-04 10:00+08', NULL, '2026-11-04 10:00+08', 'met'),
    (102, 'enterprise', 'contact', '2026-11-03 10:00+08', '2026-11-05 10:00+08', NULL, '2026-11-05 09:00+08', 'met'),
    (102, 'enterprise', 'resolve', '2026-11-03 10:00+08', '2026-11-10 10:00+08', '2026-11-10 10:00+08', '2026-11-10 10:00+08', 'escalated'),
    (102, 'town', 'accept', '2026-11-10 10:00+08', '2026-11-11 10:00+08', NULL, '2026-11-10 16:00+08', 'met'),
    (102, 'town', 'contact', '2026-11-10 10:00+08', '2026-11-12 10:00+08', NULL, '2026-11-11 15:00+08', 'escalate'),
    (102, 'town', 'resolve', '2026-11-10 10:00+08', '2026-11-17 10:00+08', NULL, '2026-11-11 15:00+08', 'escalate'),
    (102, 'county', 'accept', '2026-11-11 15:00+08', '2026-11-12 15:00+08', '2026-11-12 15:00+08', NULL, NULL),
    (102, 'county', 'contact', '2026-11-11 15:00+08', '2026-11-13 15:00+08', '2026-11-13 15:00+08', NULL, NULL),
    (102, 'county', 'resolve', '2026-11-11 15:00+08', '2026-11-18 15:00+08', NULL, NULL, NULL),
    -- T105: the first enterprise clocks (W45), the resolve one superseded
    -- by the unhappy call-back's reopening; the second (from 11-09 10:00):
    -- accept met, contact breached → escalated by the sweeper, resolve
    -- superseded; the town's: accept and contact met.
    (105, 'enterprise', 'accept', '2026-11-04 10:00+08', '2026-11-05 10:00+08', NULL, '2026-11-04 13:00+08', 'met'),
    (105, 'enterprise', 'contact', '2026-11-04 10:00+08', '2026-11-06 10:00+08', NULL, '2026-11-05 09:00+08', 'met'),
    (105, 'enterprise', 'resolve', '2026-11-04 10:00+08', '2026-11-11 10:00+08', NULL, '2026-11-09 10:00+08', 'callback'),
    (105, 'enterprise', 'accept', '2026-11-09 10:00+08', '2026-11-10 10:00+08', NULL, '2026-11-09 15:00+08', 'met'),
    (105, 'enterprise', 'contact', '2026-11-09 10:00+08', '2026-11-11 10:00+08', '2026-11-11 10:00+08', '2026-11-11 10:00+08', 'escalated'),
    (105, 'enterprise', 'resolve', '2026-11-09 10:00+08', '2026-11-16 10:00+08', NULL, '2026-11-11 10:00+08', 'escalated'),
    (105, 'town', 'accept', '2026-11-11 10:00+08', '2026-11-12 10:00+08', NULL, '2026-11-11 14:00+08', 'met'),
    (105, 'town', 'contact', '2026-11-11 10:00+08', '2026-11-13 10:00+08', NULL, '2026-11-12 16:00+08', 'met'),
    (105, 'town', 'resolve', '2026-11-11 10:00+08', '2026-11-18 10:00+08', NULL, NULL, NULL),
    -- T112: met in W45; the extended resolve clock stopped by the close at W47's first instant.
    (112, 'enterprise', 'accept', '2026-11-06 12:00+08', '2026-11-07 12:00+08', NULL, '2026-11-06 14:00+08', 'met'),
    (112, 'enterprise', 'contact', '2026-11-06 12:00+08', '2026-11-08 12:00+08', NULL, '2026-11-06 16:00+08', 'met'),
    (112, 'enterprise', 'resolve', '2026-11-06 12:00+08', '2026-11-20 12:00+08', NULL, '2026-11-16 00:00+08', 'closed'),
    -- T103: contact met on the very due instant; resolve stopped by the close.
    (103, 'enterprise', 'accept', '2026-11-09 00:30+08', '2026-11-10 00:30+08', NULL, '2026-11-09 04:30+08', 'met'),
    (103, 'enterprise', 'contact', '2026-11-09 00:30+08', '2026-11-11 00:30+08', NULL, '2026-11-11 00:30+08', 'met'),
    (103, 'enterprise', 'resolve', '2026-11-09 00:30+08', '2026-11-16 00:30+08', NULL, '2026-11-13 10:30+08', 'closed'),
    -- T101: the town's clocks superseded by the engine's raise to the
    -- county; the county's accept met, contact breached (overdue).
    (101, 'town', 'accept', '2026-11-09 20:00+08', '2026-11-10 20:00+08', NULL, '2026-11-10 08:30+08', 'escalated'),
    (101, 'town', 'contact', '2026-11-09 20:00+08', '2026-11-11 20:00+08', NULL, '2026-11-10 08:30+08', 'escalated'),
    (101, 'town', 'resolve', '2026-11-09 20:00+08', '2026-11-16 20:00+08', NULL, '2026-11-10 08:30+08', 'escalated'),
    (101, 'county', 'accept', '2026-11-10 08:30+08', '2026-11-11 08:30+08', NULL, '2026-11-10 11:00+08', 'met'),
    (101, 'county', 'contact', '2026-11-10 08:30+08', '2026-11-12 08:30+08', '2026-11-12 08:30+08', NULL, NULL),
    (101, 'county', 'resolve', '2026-11-10 08:30+08', '2026-11-17 08:30+08', NULL, NULL, NULL),
    -- T108: the merge stopped its clocks as a close does.
    (108, 'town', 'accept', '2026-11-12 10:00+08', '2026-11-13 10:00+08', NULL, '2026-11-12 11:00+08', 'closed'),
    (108, 'town', 'contact', '2026-11-12 10:00+08', '2026-11-14 10:00+08', NULL, '2026-11-12 11:00+08', 'closed'),
    (108, 'town', 'resolve', '2026-11-12 10:00+08', '2026-11-19 10:00+08', NULL, '2026-11-12 11:00+08', 'closed'),
    -- T110 at the town, all met.
    (110, 'town', 'accept', '2026-11-13 08:00+08', '2026-11-14 08:00+08', NULL, '2026-11-13 09:30+08', 'met'),
    (110, 'town', 'contact', '2026-11-13 08:00+08', '2026-11-15 08:00+08', NULL, '2026-11-14 10:00+08', 'met'),
    (110, 'town', 'resolve', '2026-11-13 08:00+08', '2026-11-20 08:00+08', NULL, '2026-11-14 18:00+08', 'closed'),
    -- T107: accept met at W47's first instant.
    (107, 'enterprise', 'accept', '2026-11-15 18:00+08', '2026-11-16 18:00+08', NULL, '2026-11-16 00:00+08', 'met'),
    (107, 'enterprise', 'contact', '2026-11-15 18:00+08', '2026-11-17 18:00+08', NULL, NULL, NULL),
    (107, 'enterprise', 'resolve', '2026-11-15 18:00+08', '2026-11-22 18:00+08', NULL, NULL, NULL),
    -- T106: accept met late on W46's Sunday.
    (106, 'enterprise', 'accept', '2026-11-15 22:10+08', '2026-11-16 22:10+08', NULL, '2026-11-15 23:30+08', 'met'),
    (106, 'enterprise', 'contact', '2026-11-15 22:10+08', '2026-11-17 22:10+08', NULL, NULL, NULL),
    (106, 'enterprise', 'resolve', '2026-11-15 22:10+08', '2026-11-22 22:10+08', NULL, NULL, NULL)
) AS v (ticket_id, tier, kind, started_at, due_at, breached_at, stopped_at, stop_reason);

-- A neighbouring county whose week must not leak into 射阳县's summary:
-- a red ticket opened, escalated, overdue, replied, called back and closed
-- in W46 with the highest score of all.
INSERT INTO units (code, kind, town_type, parent_code, name_zh, name_en) VALUES
    ('320923', 'county', NULL, NULL, '阜宁县', 'Funing County'),
    ('320923100', 'town', 'subdistrict', '320923', '阜城街道', 'Fucheng');
INSERT INTO grids (code, town_code, kind, name, industry) VALUES
    ('320923100-I01', '320923100', 'independent', '阜城街道独立网格', '');
INSERT INTO enterprises (credit_code, name, headcount, town_code, grid_code) VALUES
    ('91320923MA00009991', '阜宁县邻县化工有限公司', 500, '320923100', '320923100-I01');
INSERT INTO tickets (id, enterprise, category, level, tier, status, event_count, first_event_at, last_event_at,
                     opened_at, updated_at, closed_at, rules_version, county_code, town_code, grid_code, overdue_at)
OVERRIDING SYSTEM VALUE VALUES
    (150, '91320923MA00009991', 'wage_arrears', 'red', 'county', 'closed', 2, '2026-11-10 09:00+08', '2026-11-10 09:00+08',
     '2026-11-10 09:10+08', '2026-11-15 12:00+08', '2026-11-15 12:00+08', 'golden', '320923', '320923100', '320923100-I01',
     '2026-11-11 09:10+08');
INSERT INTO events (id, ticket_id, enterprise, category, occurred_at, level, decision, subject, stream_seq) VALUES
    ('n-01', 150, '91320923MA00009991', 'wage_arrears', '2026-11-10 09:00+08', 'red',
     '{"level": "red", "score": 99, "fired": [{"rule": "workers_100", "level": "red", "label_zh": "涉及100人以上"}]}', 'gridwarn.events.320923', 100),
    ('n-02', 150, '91320923MA00009991', 'layoff', '2026-11-14 09:00+08', 'red',
     '{"level": "red", "score": 99}', 'gridwarn.events.320923', 101);
INSERT INTO ticket_history (ticket_id, at, actor, kind, data) VALUES
    (150, '2026-11-10 09:10+08', 'system:engine', 'opened', '{"tier": "town"}'),
    (150, '2026-11-10 10:00+08', 'user:mediator-320923100-1', 'accept', NULL),
    (150, '2026-11-10 12:00+08', 'system:sweeper', 'tier_changed', NULL),
    (150, '2026-11-11 09:10+08', 'system:sweeper', 'overdue', NULL),
    (150, '2026-11-13 12:00+08', 'user:mediator-county-fn', 'reply', '{"outcome": {"result": "paid_in_full", "amount_recovered_cny": 999999, "workers_covered": 500}}'),
    (150, '2026-11-14 12:00+08', 'user:mediator-county-fn', 'callback', '{"satisfied": false}'),
    (150, '2026-11-15 12:00+08', 'user:mediator-county-fn', 'close', NULL);
INSERT INTO ticket_clocks (ticket_id, tier, kind, started_at, remind_at, due_at, breached_at, stopped_at, stop_reason) VALUES
    (150, 'county', 'accept', '2026-11-10 12:00+08', '2026-11-11 00:00+08', '2026-11-11 09:10+08', '2026-11-11 09:10+08', '2026-11-15 12:00+08', 'closed'),
    (150, 'county', 'contact', '2026-11-10 12:00+08', '2026-11-11 00:00+08', '2026-11-12 12:00+08', NULL, '2026-11-11 12:00+08', 'met');
-- The engine counts the events it stores into the daily rollup (migration
-- 00025); a dataset that inserts events directly rebuilds it, in the zone
-- the rollup is kept in.
SELECT gridwarn_rollup_rebuild(name) FROM rollup_zone;
