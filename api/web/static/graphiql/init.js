// GraphiQL against this API's /graphql (HTTP and WebSocket). The token goes in the headers
// pane ({"Authorization": "Bearer …"}), prefilled with the dashboard's when this tab signed in
// there (session storage, same origin); GraphiQL's fetcher also passes those headers as the
// WebSocket's connection_init payload, which is where the API reads a subscription's token.
(function () {
  "use strict";
  const url = new URL("/graphql", window.location.href);
  const wsUrl = new URL(url);
  wsUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";

  const fetcher = GraphiQL.createFetcher({
    url: url.toString(),
    subscriptionUrl: wsUrl.toString(),
  });

  const token = sessionStorage.getItem("shopsync.token");
  const headers = JSON.stringify(
    { Authorization: `Bearer ${token || "<token from shopsync token create>"}` },
    null,
    2,
  );

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      // Headers hold the token: not kept with the tabs, and GraphiQL's history (which keeps
      // each run's headers) lives in the tab's session storage, gone with the tab like the
      // dashboard's token, never in localStorage.
      shouldPersistHeaders: false,
      storage: window.sessionStorage,
      headers: headers,
    }),
  );
})();
