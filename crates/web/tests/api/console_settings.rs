//! Console pages: filled in below.
