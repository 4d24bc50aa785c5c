pub mod dto;
pub mod rules;
