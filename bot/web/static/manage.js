// The managers' tabs (loaded after app.js only for managers): they call
// window.Fabdesk.addTab(id, label, render) and window.Fabdesk.api(path, body).
