// GET /openapi.yaml: the API's description, without authentication so that tools (Swagger UI,
// code generators) can read it. The text is compiled in (openapi_document.h).
#include "serve/api/api_context.h"
#include "serve/api/openapi_document.h"

namespace wgd::serve::api {

void register_openapi_routes(ApiContext& ctx) {
  ctx.http.Get("/openapi.yaml", [](const httplib::Request&, httplib::Response& res) {
    const std::string_view doc = openapi_document();
    res.status = 200;
    res.set_content(doc.data(), doc.size(), "application/yaml");
  });
}

}  // namespace wgd::serve::api
