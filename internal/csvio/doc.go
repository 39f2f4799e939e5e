// Package csvio reads and writes the registry's CSV files: enterprises,
// grids and users. Reading is strict and reports every problem of a file
// at once, as Errors, so that an administrator can fix a file in one pass;
// the database side (upsert in one transaction, dry run) calls it.
//
// # Format
//
// A file is UTF-8 CSV with a comma separator; a leading byte order mark
// (as Excel writes) is skipped, UTF-16 and GBK files are refused. The
// first line is the header. Headers are English or Chinese, matched
// without regard to case or surrounding spaces, in any order; an unknown,
// empty or repeated header and a missing required column are errors.
// Values are trimmed. Lines whose every field is empty are ignored; a
// record with more or fewer fields than the header is an error. Line
// numbers in errors are lines of the file, the header being line 1.
//
// Booleans are true/false, yes/no, 1/0, Y/N or 是/否, in any case; empty is
// false. Lists (grid workers, a user's grids) are separated by ";" or "；".
// Free text may not hold control characters nor start with =, +, - or @
// (a spreadsheet would run it as a formula): gridwarn.CheckText, the same
// rule the API, the console and the command line apply. A key (credit code, grid
// code, username) may appear once in a file.
//
// Write writes English headers in the order below and values that Read
// reads back to the same result; text a spreadsheet would take for a
// formula (stored before the rule above) is written defused, with an
// apostrophe in front (formula.Defuse).
//
// # Enterprises
//
//	credit_code             统一社会信用代码  required; GB 32100, 18 characters, capitals, with check character
//	name                    企业名称          required; at most 200 characters
//	industry_code           行业代码          GB/T 4754: a section letter A–T and 0–4 digits (C, C17, C1713)
//	ownership               所有制            state 国有, collective 集体, private 私营/民营, foreign 外资,
//	                                          hk_macao_taiwan 港澳台, joint_venture 合资, other 其他/其它
//	headcount               职工人数          whole number ≥ 0; thousands separators allowed
//	has_union               是否建会          boolean
//	has_mediation_committee 是否有调解委员会  boolean
//	compliance_grade        合规等级          A, B or C
//	registered_capital_cny  注册资本          yuan (元, not 万元), ≥ 0, at most 2 decimals; 1,000,000.50 allowed
//	key_enterprise          重点企业          boolean
//	town_code               镇街代码          required; 9 digits
//	grid_code               网格编码          empty: place by the rule; else a grid of town_code
//	village                 村（社区）        optional; at most 100 characters; empty keeps the registry's
//
// # Grids
//
//	code      网格编码  required; <town code>-P|I|J<2+ digits>, such as 320924100-J01
//	town_code 镇街代码  9 digits; empty: from code; else must equal the code's first 9 digits
//	kind      网格类型  park 园区/园区大网格, independent 独立/独立网格, joint 联合/联合网格;
//	                    empty: from the code's letter (P, I, J); else must agree with it
//	name      网格名称  at most 200 characters
//	industry  行业门类  GB/T 4754 section letter; required for a joint grid, empty otherwise
//	workers   网格员    usernames
//
// # Users
//
//	username     用户名    required; ^[a-z0-9][a-z0-9._-]{1,63}$
//	display_name 姓名      at most 100 characters
//	role         角色      required; grid_worker 网格员/信息员, reporter 直报员, mediator 调解员,
//	                       leader 领导, admin 管理员
//	scope_kind   范围类型  required; county 县, town 镇, grids 网格
//	scope_unit   范围单位  required; 6-digit county code for county and grids, 9-digit town code for town
//	scope_grids  网格      grid codes of scope_unit's county; required when scope_kind is grids, empty otherwise
//	tier_head    负责人    boolean
//
// # Union status
//
//	credit_code             统一社会信用代码  required; a registered enterprise of the scope
//	has_union               是否建会          boolean: a union of its own
//	union_since             建会日期          a day (2019-05-01, 2019/5/1, 2019年5月1日); only with a union
//	union_members           会员人数          whole number ≥ 0; only with a union
//	joint_union             所属联合工会      the joint union it belongs to; only without a union
//	has_mediation_committee 是否有调解委员会  boolean
//	opened_on               开业日期          the day it began operating
//	headcount               职工人数          whole number ≥ 0; empty keeps the registry's
//
// # Contacts ("1+x")
//
// One line per worker in difficulty a person follows (a person following
// none: one line, worker cells empty); a person's lines are their whole
// assignment and name one enterprise.
//
//	username    用户名            required; a grid worker, mediator or leader of the scope
//	credit_code 统一社会信用代码  required; the same on every line of the person
//	worker      困难职工编号      the hardship file's number or a tag, never a name; once per person
//	difficulty  困难类型          required with a worker: illness 因病, disability 因残, job_loss 失业/下岗,
//	                              wage_arrears 欠薪, injury 工伤/意外, schooling 子女就学/因学, disaster 因灾,
//	                              other 其他/其它
//	since       困难起始日期      a day
//	note        备注              at most 200 characters
//
// HEADERS.md has the same tables for administrators.
package csvio
