-- Each user's time zone (issue 9: one clock). NULL: the company's zone (Asia/Shanghai in the
-- demo). Numbered 0012: 0011 is taken by a change made at the same time.
ALTER TABLE users ADD COLUMN time_zone TEXT;
