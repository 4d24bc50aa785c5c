//! Evidence attachments (photos, receipts, audio, PDF). The allow-list and signature checks
//! come first; storage and the endpoints follow.

pub mod rules;
