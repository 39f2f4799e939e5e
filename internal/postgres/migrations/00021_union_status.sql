-- +goose Up
-- Union status beyond has_union and has_mediation_committee (issue 16,
-- seed 001): since when, how many members, the joint union an enterprise
-- without its own belongs to, and the day it began operating (the
-- unionization list counts a year in operation).
ALTER TABLE enterprises
    ADD COLUMN union_since   date,
    ADD COLUMN union_members integer NOT NULL DEFAULT 0 CHECK (union_members >= 0),
    ADD COLUMN joint_union   text    NOT NULL DEFAULT '',
    ADD COLUMN opened_on     date,
    ADD CONSTRAINT enterprises_union_or_joint CHECK (NOT (has_union AND joint_union <> ''));

-- Every change of an enterprise's union status, written by the database
-- whatever path changed it (API, console, import, command line), so "newly
-- unionized this month" is a query. Append-only.
CREATE TABLE enterprise_union_history (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    county_code             text        NOT NULL,
    credit_code             text        NOT NULL REFERENCES enterprises (credit_code),
    at                      timestamptz NOT NULL DEFAULT now(),
    has_union               boolean     NOT NULL,
    union_since             date,
    union_members           integer     NOT NULL,
    joint_union             text        NOT NULL,
    has_mediation_committee boolean     NOT NULL,
    headcount               integer     NOT NULL
);
CREATE INDEX enterprise_union_history_county_at ON enterprise_union_history (county_code, at);
CREATE INDEX enterprise_union_history_enterprise ON enterprise_union_history (credit_code, at);

-- +goose StatementBegin
CREATE FUNCTION enterprise_union_history_write() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE FUNCTION enterprise_union_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'enterprise_union_history is append-only';
END $$;
-- +goose StatementEnd

CREATE TRIGGER enterprises_union_history AFTER INSERT OR UPDATE ON enterprises
    FOR EACH ROW EXECUTE FUNCTION enterprise_union_history_write();
CREATE TRIGGER enterprise_union_history_append_only BEFORE UPDATE OR DELETE ON enterprise_union_history
    FOR EACH ROW EXECUTE FUNCTION enterprise_union_history_append_only();

-- Where the history starts: what the registry says today.
INSERT INTO enterprise_union_history (county_code, credit_code, has_union, union_since, union_members, joint_union,
                                      has_mediation_committee, headcount)
SELECT left(town_code, 6), credit_code, has_union, union_since, union_members, joint_union, has_mediation_committee,
       headcount
FROM enterprises;

-- +goose Down
DROP TABLE enterprise_union_history;
DROP FUNCTION enterprise_union_history_append_only();
DROP TRIGGER enterprises_union_history ON enterprises;
DROP FUNCTION enterprise_union_history_write();
ALTER TABLE enterprises
    DROP CONSTRAINT enterprises_union_or_joint,
    DROP COLUMN union_since, DROP COLUMN union_members, DROP COLUMN joint_union, DROP COLUMN opened_on;
