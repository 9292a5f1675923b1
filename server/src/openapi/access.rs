//! OpenAPI: the operations of this area (see `super`). Each handler carries its
//! `#[utoipa::path]`; list it in `paths(...)` below.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(paths())]
pub struct Api;
