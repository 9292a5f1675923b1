// record screen: concatenated after app.js into /web/static/app.js (routes.rs).
