//! Every record kind's schema as data (issue 24), for clients in other languages.
