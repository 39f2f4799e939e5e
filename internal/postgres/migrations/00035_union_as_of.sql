-- +goose Up
-- A union status import carries the date of the list it comes from (issue
-- 16: the social-insurance list "as of" a day). The import sets
-- gridwarn.as_of for its own transaction (set_config(..., true)); the
-- history takes that moment instead of now(), so a list loaded late is
-- still the month it describes, and a month's circular reads it back.
-- Unset (every other path: API, console, command line without --as-of)
-- it is now(), as before.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION enterprise_union_history_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR (NEW.has_union, NEW.union_since, NEW.union_members, NEW.joint_union,
                            NEW.has_mediation_committee, NEW.headcount)
                           IS DISTINCT FROM (OLD.has_union, OLD.union_since, OLD.union_members, OLD.joint_union,
                                             OLD.has_mediation_committee, OLD.headcount) THEN
        INSERT INTO enterprise_union_history (county_code, credit_code, at, has_union, union_since, union_members,
                                              joint_union, has_mediation_committee, headcount)
        VALUES (left(NEW.town_code, 6), NEW.credit_code,
                coalesce(nullif(current_setting('gridwarn.as_of', true), '')::timestamptz, now()),
                NEW.has_union, NEW.union_since, NEW.union_members,
                NEW.joint_union, NEW.has_mediation_committee, NEW.headcount);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION enterprise_union_history_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR (NEW.has_union, NEW.union_since, NEW.union_members, NEW.joint_union,
                            NEW.has_mediation_committee, NEW.headcount)
                           IS DISTINCT FROM (OLD.has_union, OLD.union_since, OLD.union_members, OLD.joint_union,
                                             OLD.has_mediation_committee, OLD.headcount) THEN
        INSERT INTO enterprise_union_history (county_code, credit_code, has_union, union_since, union_members,
                                              joint_union, has_mediation_committee, headcount)
        VALUES (left(NEW.town_code, 6), NEW.credit_code, NEW.has_union, NEW.union_since, NEW.union_members,
                NEW.joint_union, NEW.has_mediation_committee, NEW.headcount);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
