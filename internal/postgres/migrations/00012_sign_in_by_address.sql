-- +goose Up
-- Failed sign-ins are counted per username and client address, so that a
-- stranger guessing a person's password locks out their own address, never
-- the person (issue #13, finding 5).
DELETE FROM login_failures;
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey;
ALTER TABLE login_failures ADD COLUMN ip text NOT NULL DEFAULT '';
ALTER TABLE login_failures ADD PRIMARY KEY (username, ip);

-- +goose Down
DELETE FROM login_failures;
ALTER TABLE login_failures DROP CONSTRAINT login_failures_pkey;
ALTER TABLE login_failures DROP COLUMN ip;
ALTER TABLE login_failures ADD PRIMARY KEY (username);
