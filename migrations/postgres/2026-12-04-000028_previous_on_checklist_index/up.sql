-- A final submission is compared with the shopper's latest earlier one on the same checklist
-- version (`submissions::repo::previous_on_checklist`, the repeated-answers flag). Read through
-- the submissions' shopper index, that walked every submitted shop of the shopper and probed
-- each one's assignment for its checklist: PostgreSQL's generic plan did, 2.5 ms a submission for
-- a shopper with 460 earlier shops, growing with every one (measured during the ingest
-- benchmark). The assignment holds all three facts; this index yields the answer in one probe.
CREATE INDEX assignments_shopper_checklist
    ON assignments (shopper_id, checklist_version_id, submitted_at);
