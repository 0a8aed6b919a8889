// The managers' tabs of the Mini App: Machines, Hours & closures, Members.
// Loaded only for managers, by the page's shell, which exposes window.Fabdesk:
//   api(path, body?) -> Promise<{status, data}>, t(key), addTab(id, label, render(container)).
// Plain DOM, no framework, no build. The server checks everything again (403 for members, 400 for
// bad input, 409 with the chat's sentence for a refusal): this page only shows what it answers.
(function () {
  "use strict";

  var texts = {};

  function t(key) {
    if (texts[key]) return texts[key];
    return window.Fabdesk && window.Fabdesk.t ? window.Fabdesk.t(key) : key;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (name === "text") node.textContent = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else if (typeof value === "boolean") node[name] = value;
      else node.setAttribute(name, value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function field(label, input) {
    return el("label", { class: "fd-field" }, [el("span", { text: label }), input]);
  }

  // A line under a form: what the server said (its sentence on a refusal).
  function notice(node, answer, success) {
    node.className = "fd-notice";
    if (answer.status === 200) {
      node.textContent = success;
      node.classList.add("fd-ok");
      return true;
    }
    var data = answer.data || {};
    node.textContent = data.message || (answer.status === 400 ? t("error.input") : t("error.network"));
    node.classList.add("fd-error");
    return false;
  }

  function call(path, body) {
    return window.Fabdesk.api(path, body).catch(function () {
      return { status: 0, data: { message: t("error.network") } };
    });
  }

  // --- Machines ---

  function machineForm(machine, kinds, reload) {
    var name = el("input", { type: "text", maxlength: "100", value: machine.name });
    var kind = el(
      "select",
      {},
      kinds.map(function (k) {
        var option = el("option", { value: k.value, text: k.label });
        option.selected = k.value === machine.kind;
        return option;
      })
    );
    var location = el("input", { type: "text", maxlength: "100", value: machine.location });
    var grid = el("input", { type: "number", min: "1", max: "1440", value: String(machine.grid_minutes) });
    var longest = el("input", { type: "number", min: "1", max: "1440", value: String(machine.max_minutes) });
    var training = el("input", { type: "checkbox", checked: machine.training_required });
    var down = el("input", { type: "checkbox", checked: machine.out_of_service });
    var said = el("p", { class: "fd-notice" });
    var form = el("form", { class: "fd-card" }, [
      el("h3", { text: machine.name }),
      field(t("machine.name"), name),
      field(t("machine.kind"), kind),
      field(t("machine.location"), location),
      field(t("machine.grid"), grid),
      field(t("machine.max"), longest),
      field(t("machine.training"), training),
      field(t("machine.out_of_service"), down),
      el("button", { type: "submit", text: t("machine.save") }),
      said,
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {
        id: machine.id,
        name: name.value,
        kind: kind.value,
        location: location.value,
        grid_minutes: Number(grid.value),
        max_minutes: Number(longest.value),
        training_required: training.checked,
        out_of_service: down.checked,
      };
      call("manage/machine", body).then(function (answer) {
        var changed = answer.status === 200 && answer.data.changed.length > 0;
        notice(said, answer, changed ? t("machine.saved") : t("machine.unchanged"));
        if (changed) form.querySelector("h3").textContent = answer.data.machine.name;
      });
    });
    form.appendChild(downtimeForm(machine, reload));
    return form;
  }

  function downtimeForm(machine, reload) {
    var start = el("input", { type: "datetime-local" });
    var end = el("input", { type: "datetime-local" });
    var reason = el("input", { type: "text", maxlength: "200" });
    var said = el("p", { class: "fd-notice" });
    var planned = machine.downtimes.map(function (d) {
      return el("li", { text: d.start.slice(0, 16).replace("T", " ") + " → " + d.end.slice(0, 16).replace("T", " ") + (d.reason ? " · " + d.reason : "") });
    });
    var box = el("details", {}, [
      el("summary", { text: t("downtime.title") }),
      planned.length ? el("p", { text: t("downtime.upcoming") }) : null,
      planned.length ? el("ul", {}, planned) : null,
      field(t("downtime.start"), start),
      field(t("downtime.end"), end),
      field(t("downtime.reason"), reason),
      el("button", {
        type: "button",
        text: t("downtime.add"),
        onclick: function () {
          var body = { machine: machine.id, start: start.value, end: end.value, reason: reason.value };
          call("manage/downtime", body).then(function (answer) {
            var count = answer.status === 200 ? answer.data.warned : 0;
            if (notice(said, answer, t("downtime.planned").replace("{count}", count))) setTimeout(reload, 1500);
          });
        },
      }),
      said,
    ]);
    return box;
  }

  // A tab drawn from one GET: `draw(container, data, reload)` once it answers (its error otherwise).
  function loaded(path, draw) {
    return function render(container) {
      container.textContent = "";
      call(path).then(function (answer) {
        if (answer.status !== 200) notice(container.appendChild(el("p")), answer, "");
        else draw(container, answer.data, function () { render(container); });
      });
    };
  }

  var renderMachines = loaded("manage/machines", function (container, data, reload) {
    data.machines.forEach(function (machine) {
      container.appendChild(machineForm(machine, data.kinds, reload));
    });
  });

  // --- Hours & closures ---

  function parseIntervals(text) {
    // "09:00-12:30, 14:00-19:00" -> [["09:00", "12:30"], ["14:00", "19:00"]]; the server checks.
    return text
      .split(",")
      .map(function (part) { return part.trim(); })
      .filter(function (part) { return part; })
      .map(function (part) {
        return part.split("-").map(function (time) { return time.trim(); });
      });
  }

  function dayRow(day) {
    var shown = day.intervals.map(function (pair) { return pair.join("-"); }).join(", ");
    var input = el("input", { type: "text", value: shown, placeholder: t("hours.closed") });
    var said = el("p", { class: "fd-notice" });
    return el("div", { class: "fd-day" }, [
      field(day.label, input),
      el("button", {
        type: "button",
        text: t("hours.save"),
        onclick: function () {
          call("manage/hours", { weekday: day.weekday, intervals: parseIntervals(input.value) }).then(function (answer) {
            notice(said, answer, t("hours.saved"));
          });
        },
      }),
      said,
    ]);
  }

  var renderHours = loaded("manage/hours", function (container, data, reload) {
    var week = el("section", { class: "fd-card" }, [el("h3", { text: t("hours.title") }), el("p", { class: "fd-hint", text: t("hours.hint") })]);
    data.hours.forEach(function (day) { week.appendChild(dayRow(day)); });
    container.appendChild(week);

    var list = el("ul", {});
    data.closures.forEach(function (closure) {
      var said = el("span", { class: "fd-notice" });
      list.appendChild(
        el("li", {}, [
          closure.label + (closure.reason ? " · " + closure.reason : "") + " ",
          el("button", {
            type: "button",
            text: t("closure.remove"),
            onclick: function () {
              call("manage/closure/remove", { day: closure.day }).then(function (result) {
                if (notice(said, result, t("members.done"))) reload();
              });
            },
          }),
          said,
        ])
      );
    });
    var day = el("input", { type: "date" });
    var reason = el("input", { type: "text", maxlength: "200" });
    var said = el("p", { class: "fd-notice" });
    container.appendChild(
      el("section", { class: "fd-card" }, [
        el("h3", { text: t("closure.title") }),
        data.closures.length ? list : el("p", { text: t("closure.none") }),
        field(t("closure.day"), day),
        field(t("closure.reason"), reason),
        el("button", {
          type: "button",
          text: t("closure.add"),
          onclick: function () {
            call("manage/closure", { day: day.value, reason: reason.value }).then(function (result) {
              var count = result.status === 200 ? result.data.warned : 0;
              if (notice(said, result, t("closure.added").replace("{count}", count))) setTimeout(reload, 1500);
            });
          },
        }),
        said,
      ])
    );
  });

  // --- Members ---

  function memberCard(member, machines, refresh) {
    var said = el("p", { class: "fd-notice" });
    var done = function (answer) {
      if (notice(said, answer, t("members.done"))) refresh();
    };
    var role = member.configured_manager
      ? el("p", { text: t("members.configured") })
      : el("button", {
          type: "button",
          text: member.manager ? t("members.demote") : t("members.promote"),
          onclick: function () {
            call("manage/role", { member: member.id, manager: !member.manager }).then(done);
          },
        });
    var trained = member.authorizations.map(function (a) {
      return el("li", {}, [
        a.label + " ",
        el("button", {
          type: "button",
          text: t("members.revoke"),
          onclick: function () {
            call("manage/revoke", { member: member.id, authorization: a.id }).then(done);
          },
        }),
      ]);
    });
    var held = member.authorizations.map(function (a) { return a.machine; });
    var choices = machines.filter(function (m) { return held.indexOf(m.id) < 0; });
    var pick = el("select", {}, [el("option", { value: "", text: t("members.authorize") })].concat(
      choices.map(function (m) { return el("option", { value: String(m.id), text: m.name }); })
    ));
    pick.addEventListener("change", function () {
      if (!pick.value) return;
      call("manage/authorize", { member: member.id, machine: Number(pick.value) }).then(done);
    });
    return el("div", { class: "fd-card" }, [
      el("h3", { text: member.name + (member.username ? " (@" + member.username + ")" : "") }),
      member.manager && !member.configured_manager ? el("p", { text: t("members.manager") }) : null,
      role,
      trained.length ? el("p", { text: t("members.trained") }) : null,
      trained.length ? el("ul", {}, trained) : null,
      choices.length ? pick : null,
      said,
    ]);
  }

  function renderMembers(container) {
    container.textContent = "";
    var query = el("input", { type: "search", placeholder: t("members.search") });
    var results = el("div", {});
    var more = el("button", { type: "button", text: t("members.more"), hidden: true });
    var offset = 0;

    function search(from) {
      offset = from;
      var path = "manage/members?q=" + encodeURIComponent(query.value) + "&offset=" + from;
      call(path).then(function (answer) {
        if (from === 0) results.textContent = "";
        if (answer.status !== 200) {
          notice(results.appendChild(el("p")), answer, "");
          return;
        }
        var data = answer.data;
        if (!data.members.length && from === 0) results.appendChild(el("p", { text: t("members.none") }));
        data.members.forEach(function (member) {
          results.appendChild(memberCard(member, data.machines, function () { search(0); }));
        });
        more.hidden = data.offset + data.members.length >= data.total;
      });
    }

    more.addEventListener("click", function () { search(offset + 20); });
    var form = el("form", { class: "fd-search" }, [query, el("button", { type: "submit", text: t("members.find") })]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      search(0);
    });
    container.appendChild(form);
    container.appendChild(results);
    container.appendChild(more);
    search(0);
  }

  // The tabs' own layout (the page's stylesheet gives colours and fonts, from Telegram's theme).
  var STYLE =
    ".fd-card{margin:0 0 16px;padding:8px 0;border-bottom:1px solid rgba(127,127,127,.3)}" +
    ".fd-field{display:block;margin:6px 0}.fd-field>span{display:block;font-size:.9em;opacity:.8}" +
    ".fd-field input[type=text],.fd-field input[type=number],.fd-field select,.fd-search input" +
    "{box-sizing:border-box;width:100%;max-width:100%}" +
    ".fd-notice.fd-ok{color:#2e7d32}.fd-notice.fd-error{color:#c62828}";

  function start() {
    var desk = window.Fabdesk;
    document.head.appendChild(el("style", { text: STYLE }));
    desk.api("manage/texts").then(function (answer) {
      if (answer.status !== 200) return; // not a manager (any more): no tabs
      texts = answer.data || {};
      desk.addTab("machines", t("tab.machines"), renderMachines);
      desk.addTab("hours", t("tab.hours"), renderHours);
      desk.addTab("members", t("tab.members"), renderMembers);
    });
  }

  // The shell may load after this script: wait for it (a few seconds at most).
  var tries = 0;
  (function wait() {
    if (window.Fabdesk && window.Fabdesk.addTab) start();
    else if (tries++ < 100) setTimeout(wait, 50);
  })();
})();
