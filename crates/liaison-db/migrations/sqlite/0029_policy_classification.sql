-- Need-to-know for policy versions (issue 15, policy §7.2.2): a version is classified like any
-- content item; a confidential or secret one is read in full only by its author, its
-- approvers and its access list, and its announcement carries the same classification.
ALTER TABLE policy_versions ADD COLUMN classification TEXT NOT NULL DEFAULT 'internal';
