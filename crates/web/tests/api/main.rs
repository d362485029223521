//! HTTP tests of the API and pages: real requests against a server on a free port,
//! each test with its own SQLite file or PostgreSQL schema.

mod helpers;

mod abuse;
mod auth;
mod authz_matrix;
mod cards;
mod cards_context;
mod console_analytics;
mod console_catalog;
mod console_orders;
mod console_settings;
mod coupons;
mod errors;
mod flash;
mod flash_page;
mod idempotency;
mod integrity;
mod isolation;
mod live_board;
mod loyalty;
mod loyalty_pages;
mod merchant_story;
mod openapi;
mod order_races;
mod pages;
mod providers;
mod roles;
mod scale_out;
mod shopping;
mod tiers;
mod till_codes;
mod till_pages;
