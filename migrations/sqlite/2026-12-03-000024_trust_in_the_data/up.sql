-- Trust in the data (PRODUCT.md section 12): perceptual hashes and capture times of evidence
-- photos, the reused photos they reveal, double shops, and the roll-ups that shopper calibration
-- and rater agreement are read from.

-- An image's analysis, done by a background worker after the upload: NULL for files that are
-- not images; 'pending', then 'hashed', or 'not_hashed' (a format without a decoder, such as
-- HEIC, or bytes that do not decode; the note says which), or 'skipped' (hashing is switched off).
ALTER TABLE attachments ADD COLUMN analysis TEXT;
ALTER TABLE attachments ADD COLUMN analysis_note TEXT;
-- The 64-bit perceptual hash (gradient hash of an 8 × 8 thumbnail), as a signed integer.
ALTER TABLE attachments ADD COLUMN perceptual_hash BIGINT;
-- When the photo was taken by its embedded Exif time, in UTC.
ALTER TABLE attachments ADD COLUMN captured_at TIMESTAMP;
CREATE INDEX attachments_pending_analysis ON attachments (created_at) WHERE analysis = 'pending';
-- Images stored before this migration are analysed too.
UPDATE attachments SET analysis = 'pending' WHERE content_type LIKE 'image/%';

-- The hash cut into 8 bytes, band × 256 + value: two hashes at most 7 bits apart share a band
-- (pigeonhole), so near copies are found through an index instead of comparing every photo.
CREATE TABLE photo_hash_bands (
    organization_id TEXT NOT NULL,
    band_key INTEGER NOT NULL,
    attachment_id TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    PRIMARY KEY (organization_id, band_key, attachment_id)
);

-- Pairs of photos of one organization in different submissions within the configured Hamming
-- distance, stored both ways round.
CREATE TABLE photo_matches (
    organization_id TEXT NOT NULL,
    attachment_id TEXT NOT NULL,
    other_attachment_id TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    other_submission_id TEXT NOT NULL,
    distance INTEGER NOT NULL,
    found_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, attachment_id, other_attachment_id)
);
CREATE INDEX photo_matches_submission ON photo_matches (organization_id, submission_id);

-- A double shop: two assignments on the same location, checklist and day, each naming the other.
ALTER TABLE assignments ADD COLUMN partner_assignment_id TEXT;

-- Shopper calibration, kept on approval: per standard, location, month and shopper, the
-- shopper's approved visits and the sum and sum of squares of their compliance (0 to 1).
CREATE TABLE calibration_cells (
    organization_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    period_start DATE NOT NULL,
    standard_code TEXT NOT NULL,
    shopper_id TEXT NOT NULL,
    n BIGINT NOT NULL,
    sum_value DOUBLE PRECISION NOT NULL,
    sum_squares DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (organization_id, location_id, period_start, standard_code, shopper_id)
);

-- Each shopper's leniency per standard and month, from the cells: their visits that other
-- shoppers' visits can be compared with, and the sum and sum of squares of the differences
-- (their compliance minus the others' mean in the same cell).
CREATE TABLE shopper_leniency (
    organization_id TEXT NOT NULL,
    shopper_id TEXT NOT NULL,
    standard_code TEXT NOT NULL,
    period_start DATE NOT NULL,
    n BIGINT NOT NULL,
    sum_diff DOUBLE PRECISION NOT NULL,
    sum_squares_diff DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (organization_id, shopper_id, standard_code, period_start)
);

-- Rater agreement of double shops, kept on approval: per pair of shoppers (a < b) and month, how
-- often shopper a's item score was category_a while b's was category_b, over their common
-- scored items; and how many double shops that is.
CREATE TABLE rater_agreement (
    organization_id TEXT NOT NULL,
    shopper_a TEXT NOT NULL,
    shopper_b TEXT NOT NULL,
    period_start DATE NOT NULL,
    category_a TEXT NOT NULL,
    category_b TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (organization_id, shopper_a, shopper_b, period_start, category_a, category_b)
);
CREATE TABLE rater_pairs (
    organization_id TEXT NOT NULL,
    shopper_a TEXT NOT NULL,
    shopper_b TEXT NOT NULL,
    period_start DATE NOT NULL,
    shops BIGINT NOT NULL,
    PRIMARY KEY (organization_id, shopper_a, shopper_b, period_start)
);

-- Calibration of the visits approved before this migration: counted by the server.
INSERT INTO pending_maintenance (task) VALUES ('rebuild_calibration');
