//! (issue 21: being written)
