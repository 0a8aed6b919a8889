// The managers' tabs of the Mini App: Maintenance, Machines, Hours & closures, Members, Consumables,
// Updates.
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
    // Under a long form the refusal would sit below the screen or behind the tab bar: bring it up.
    if (node.scrollIntoView) node.scrollIntoView({ block: "nearest" });
    return false;
  }

  function call(path, body) {
    return window.Fabdesk.api(path, body).catch(function () {
      return { status: 0, data: { message: t("error.network") } };
    });
  }

  // --- Machines ---

  // The machine's limits: hours shown as hours (sent as minutes), the others as they are; empty is
  // no limit of its own, and its kind's value, if any, shows as the placeholder.
  var LIMITS = [
    { key: "max_minutes_per_day", label: "machine.per_day", hours: true },
    { key: "max_minutes_per_week", label: "machine.per_week", hours: true },
    { key: "max_upcoming", label: "machine.upcoming" },
    { key: "notice_minutes", label: "machine.notice" },
    { key: "cancel_deadline_minutes", label: "machine.deadline" },
  ];

  // `ofKind`: the kind's values, shown as placeholders (none for the kind's own box).
  function limitInputs(values, ofKind) {
    return LIMITS.map(function (limit) {
      var own = values[limit.key];
      var kindValue = ofKind ? ofKind[limit.key] : null;
      var shown = function (value) { return String(limit.hours ? value / 60 : value); };
      var input = el("input", {
        type: "number",
        min: limit.hours ? "0.5" : "1",
        step: limit.hours ? "0.5" : "1",
        name: limit.key,
        value: own === null ? "" : shown(own),
      });
      if (kindValue !== null) input.placeholder = t("machine.of_kind").replace("{value}", shown(kindValue));
      return { limit: limit, input: input };
    });
  }

  function limitValues(inputs) {
    var values = {};
    inputs.forEach(function (entry) {
      var typed = entry.input.value.trim();
      values[entry.limit.key] = typed === "" ? null : Math.round(Number(typed) * (entry.limit.hours ? 60 : 1));
    });
    return values;
  }

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
    var unattended = el("input", { type: "checkbox", checked: machine.unattended_max_minutes > 0 });
    var unattendedMax = el("input", { type: "number", min: "1", max: "1440", value: String(machine.unattended_max_minutes || 1440) });
    var unattendedField = field(t("machine.unattended_max"), unattendedMax);
    function showUnattended() { unattendedField.style.display = unattended.checked ? "" : "none"; }
    showUnattended();
    unattended.addEventListener("change", showUnattended);
    var checkin = el("input", { type: "number", min: "0", max: "1440", value: String(machine.checkin_minutes) });
    var training = el("input", { type: "checkbox", checked: machine.training_required });
    var valid = monthsInput(machine.training_valid_months);
    var lapse = monthsInput(machine.training_lapse_months);
    var down = el("input", { type: "checkbox", checked: machine.out_of_service });
    var limits = limitInputs(machine.quotas, machine.kind_quotas);
    var said = el("p", { class: "fd-notice" });
    var form = el("form", { class: "fd-card" }, [
      el("h3", { text: machine.name }),
      field(t("machine.name"), name),
      field(t("machine.kind"), kind),
      field(t("machine.location"), location),
      field(t("machine.grid"), grid),
      field(t("machine.max"), longest),
      field(t("machine.unattended"), unattended),
      unattendedField,
      field(t("machine.checkin"), checkin),
      field(t("machine.training"), training),
      field(t("machine.training_valid"), valid),
      field(t("machine.training_lapse"), lapse),
      field(t("machine.out_of_service"), down),
      limitsFieldset(limits, t("machine.limits")),
      el("button", { type: "submit", text: t("machine.save") }),
      said,
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!name.value.trim()) {
        notice(said, { status: 400, data: { message: t("machine.name_needed") } });
        return;
      }
      var body = {
        id: machine.id,
        name: name.value,
        kind: kind.value,
        location: location.value,
        grid_minutes: Number(grid.value),
        max_minutes: Number(longest.value),
        unattended_max_minutes: unattended.checked ? Number(unattendedMax.value) : 0,
        checkin_minutes: Number(checkin.value),
        training_required: training.checked,
        // Empty: the training never lapses (0 to the API); null would leave it as it is.
        training_valid_months: Number(valid.value || 0),
        training_lapse_months: Number(lapse.value || 0),
        out_of_service: down.checked,
        quotas: limitValues(limits),
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

  function monthsInput(months) {
    return el("input", { type: "number", min: "1", max: "120", value: months ? String(months) : "" });
  }

  function downtimeForm(machine, reload) {
    var start = el("input", { type: "datetime-local" });
    var end = el("input", { type: "datetime-local" });
    var reason = el("input", { type: "text", maxlength: "200" });
    var said = el("p", { class: "fd-notice" });
    var planned = machine.downtimes.map(function (d) {
      return el("li", { text: d.label + (d.reason ? " · " + d.reason : "") });
    });
    // Open when downtimes are planned: after planning one the tab redraws and shows it.
    var box = el("details", { open: planned.length > 0 }, [
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

  function limitsFieldset(limits, legend) {
    return el(
      "fieldset",
      { class: "fd-limits" },
      [el("legend", { text: legend })].concat(
        limits.map(function (entry) { return field(t(entry.limit.label), entry.input); })
      )
    );
  }

  // A kind's limits: those of every machine of the kind without its own (the machines' placeholders).
  function kindLimitsForm(entry, reload) {
    var limits = limitInputs(entry.quotas, null);
    var said = el("p", { class: "fd-notice" });
    var set = LIMITS.some(function (limit) { return entry.quotas[limit.key] !== null; });
    // Folded unless some are set: the machines come first on a phone.
    var form = el("form", { class: "fd-card fd-kind-limits", "data-kind": entry.kind }, [
      el("details", { open: set }, [
        el("summary", { text: entry.title }),
        el("p", { class: "fd-hint", text: t("kind_limits.hint") }),
        limitsFieldset(limits, t("machine.limits")),
        el("button", { type: "submit", text: t("machine.save") }),
        said,
      ]),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      call("manage/kind_limits", { kind: entry.kind, quotas: limitValues(limits) }).then(function (answer) {
        var changed = answer.status === 200 && answer.data.changed.length > 0;
        notice(said, answer, changed ? t("machine.saved") : t("machine.unchanged"));
        // The machines' placeholders show the kind's values: redraw them a moment later.
        if (changed) setTimeout(reload, 1500);
      });
    });
    return form;
  }

  var renderMachines = loaded("manage/machines", function (container, data, reload) {
    (data.kind_limits || []).forEach(function (entry) {
      container.appendChild(kindLimitsForm(entry, reload));
    });
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

  // A list read 20 at a time: page(from) asks `path(from)` and draws the answer's `key` rows into
  // `list` with `draw(row, data, refresh)`; the `more` button shows while rows are left.
  function paged(list, more, path, key, empty, draw) {
    var offset = 0;
    function page(from) {
      offset = from;
      call(path(from)).then(function (answer) {
        if (from === 0) list.textContent = "";
        if (answer.status !== 200) {
          notice(list.appendChild(el("p")), answer, "");
          return;
        }
        var rows = answer.data[key];
        if (!rows.length && from === 0) list.appendChild(el("p", { text: empty }));
        rows.forEach(function (row) {
          list.appendChild(draw(row, answer.data, function () { page(0); }));
        });
        more.hidden = from + rows.length >= answer.data.total;
      });
    }
    more.addEventListener("click", function () { page(offset + 20); });
    return page;
  }

  function renderMembers(container) {
    container.textContent = "";
    var query = el("input", { type: "search", placeholder: t("members.search") });
    var results = el("div", {});
    var more = el("button", { type: "button", text: t("members.more"), hidden: true });
    var search = paged(
      results,
      more,
      function (from) { return "manage/members?q=" + encodeURIComponent(query.value) + "&offset=" + from; },
      "members",
      t("members.none"),
      function (member, data, refresh) { return memberCard(member, data.machines, refresh); }
    );
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

  // --- Maintenance ---

  function age(hours) {
    return hours < 48
      ? t("ticket.age_hours").replace("{h}", hours)
      : t("ticket.age_days").replace("{d}", Math.floor(hours / 24));
  }

  function ticketLine(ticket, open) {
    var facts = [ticket.machine, ticket.status_label, age(ticket.age_hours)];
    if (ticket.assignee) facts.push(t("ticket.assignee").replace("{name}", ticket.assignee));
    return el("div", { class: "fd-ticket fd-" + ticket.severity }, [
      el("button", { type: "button", class: "fd-link", onclick: open }, [
        el("strong", { text: ticket.severity_icon + " #" + ticket.id + " " + ticket.title }),
        el("br"),
        el("span", { class: "fd-hint", text: facts.join(" · ") }),
      ]),
    ]);
  }

  // One ticket: its reports, its history, and what can be done to it now (the server says which).
  function ticketDetail(container, id, back) {
    container.textContent = "";
    call("manage/tickets?id=" + id).then(function (answer) {
      container.appendChild(el("button", { type: "button", text: "← " + t("ticket.back"), onclick: back }));
      if (answer.status !== 200) {
        notice(container.appendChild(el("p")), answer, "");
        return;
      }
      var ticket = answer.data.ticket;
      var reports = ticket.reports.map(function (r) {
        var by = [r.at_label, r.by].filter(Boolean).join(" · ");
        var photos = r.photos ? " · " + t("ticket.photos").replace("{count}", r.photos) : "";
        return el("li", {}, [el("span", { class: "fd-hint", text: by + photos }), el("br"), r.text]);
      });
      var history = ticket.history.map(function (e) {
        var line = e.at_label + " · " + e.what + (e.by ? " · " + e.by : "");
        return el("li", {}, [line, e.note ? el("div", { class: "fd-hint", text: e.note }) : null]);
      });
      var note = el("textarea", { rows: "3", maxlength: "1000" });
      var said = el("p", { class: "fd-notice" });
      var buttons = ticket.actions.map(function (action) {
        return el("button", {
          type: "button",
          text: t("ticket." + action),
          onclick: function () {
            call("manage/ticket", { id: ticket.id, action: action, note: note.value }).then(function (result) {
              if (notice(said, result, t("ticket.done"))) setTimeout(function () { ticketDetail(container, id, back); }, 1200);
            });
          },
        });
      });
      container.appendChild(
        el("section", { class: "fd-card" }, [
          el("h3", { text: ticket.severity_icon + " #" + ticket.id + " " + ticket.title }),
          el("p", { text: [ticket.machine, ticket.severity_label, ticket.status_label, age(ticket.age_hours)].join(" · ") }),
          ticket.assignee ? el("p", { text: t("ticket.assignee").replace("{name}", ticket.assignee) }) : null,
          el("h4", { text: t("ticket.reports") }),
          el("ul", {}, reports),
          el("h4", { text: t("ticket.history") }),
          el("ul", {}, history),
          buttons.length ? field(t("ticket.note"), note) : null,
          el("div", { class: "fd-actions" }, buttons),
          said,
        ])
      );
    });
  }

  function renderMaintenance(container) {
    var list = el("div", { class: "fd-tickets" });
    var more = el("button", { type: "button", text: t("tickets.more"), hidden: true });
    var page = paged(
      list,
      more,
      function (from) { return "manage/tickets?offset=" + from; },
      "tickets",
      t("tickets.none"),
      function (ticket) {
        return ticketLine(ticket, function () { ticketDetail(container, ticket.id, queue); });
      }
    );
    function queue() {
      container.textContent = "";
      container.appendChild(list);
      container.appendChild(more);
      page(0);
    }
    queue();
  }

  // --- Consumables ---

  // One amount and its button; `action` is restock, count or minimum.
  function stockForm(consumable, action, label, hint, show) {
    var amount = el("input", { type: "text", inputmode: "decimal", maxlength: "40" });
    var said = el("p", { class: "fd-notice" });
    var form = el("form", { class: "fd-inline" }, [field(hint.replace("{unit}", consumable.unit), amount), el("button", { type: "submit", text: label }), said]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      call("manage/consumable", { id: consumable.id, action: action, amount: amount.value }).then(function (answer) {
        var changed = answer.status === 200 && answer.data.changed;
        if (notice(said, answer, changed ? t("stock.saved") : t("stock.unchanged"))) {
          amount.value = "";
          show(answer.data.consumable);
        }
      });
    });
    return form;
  }

  function consumableCard(consumable) {
    var card = el("section", { class: "fd-card" });
    var facts = el("div", {});
    function show(c) {
      facts.textContent = "";
      facts.appendChild(el("h3", { text: c.name }));
      facts.appendChild(el("p", { class: c.low ? "fd-low" : "", text: t("stock.quantity") + " · " + c.quantity_label + (c.low ? " · " + t("stock.low") : "") }));
      facts.appendChild(el("p", { text: t("stock.minimum") + " · " + c.minimum_label }));
      if (c.machines.length) facts.appendChild(el("p", { class: "fd-hint", text: t("stock.feeds") + " · " + c.machines.join(", ") }));
    }
    show(consumable);
    card.appendChild(facts);
    card.appendChild(stockForm(consumable, "restock", t("stock.restock"), t("stock.restock_hint"), show));
    card.appendChild(
      el("details", {}, [
        el("summary", { text: t("stock.count") + " · " + t("stock.minimum") }),
        stockForm(consumable, "count", t("stock.count"), t("stock.count_hint"), show),
        stockForm(consumable, "minimum", t("stock.set_minimum"), t("stock.minimum_hint"), show),
      ])
    );
    return card;
  }

  var renderConsumables = loaded("manage/consumables", function (container, data) {
    if (!data.consumables.length) container.appendChild(el("p", { text: t("stock.none") }));
    data.consumables.forEach(function (consumable) { container.appendChild(consumableCard(consumable)); });
  });

  // --- Updates ---

  function updateCard(item) {
    var card = el("section", { class: "fd-card" });
    var facts = el("div", {});
    function show(i) {
      facts.textContent = "";
      facts.appendChild(el("h3", { text: i.name + (i.is_due ? " · " + t("updates.is_due") : "") }));
      if (i.machine) facts.appendChild(el("p", { class: "fd-hint", text: t("updates.machine") + " · " + i.machine }));
      facts.appendChild(el("p", { text: t("updates.version") + " · " + (i.version || "—") }));
      facts.appendChild(el("p", { text: t("updates.last") + " · " + i.last_updated_label }));
      facts.appendChild(
        el("p", { class: i.is_due ? "fd-low" : "", text: i.not_applicable ? t("updates.not_applicable") : t("updates.due") + " · " + i.due_label })
      );
    }
    show(item);
    var version = el("input", { type: "text", maxlength: "50", value: item.version });
    var said = el("p", { class: "fd-notice" });
    var form = el("form", { class: "fd-inline" }, [field(t("updates.new_version"), version), el("button", { type: "submit", text: t("updates.mark") }), said]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      call("manage/update", { id: item.id, version: version.value }).then(function (answer) {
        if (notice(said, answer, t("updates.marked"))) show(answer.data.item);
      });
    });
    card.appendChild(facts);
    card.appendChild(form);
    return card;
  }

  var renderUpdates = loaded("manage/updates", function (container, data) {
    if (!data.items.length) container.appendChild(el("p", { text: t("updates.none") }));
    data.items.forEach(function (item) { container.appendChild(updateCard(item)); });
  });

  // The tabs' own layout (the page's stylesheet gives colours and fonts, from Telegram's theme).
  var STYLE =
    ".fd-card{margin:0 0 16px;padding:8px 0;border-bottom:1px solid rgba(127,127,127,.3)}" +
    ".fd-field{display:block;margin:6px 0}.fd-field>span{display:block;font-size:.9em;opacity:.8}" +
    ".fd-field input[type=text],.fd-field input[type=number],.fd-field select,.fd-search input" +
    "{box-sizing:border-box;width:100%;max-width:100%}" +
    ".fd-field textarea,.fd-inline input{box-sizing:border-box;width:100%;max-width:100%}" +
    ".fd-ticket{margin:0 0 8px;border-left:4px solid #9e9e9e;padding-left:8px}" +
    ".fd-ticket.fd-unusable{border-color:#c62828}.fd-ticket.fd-degraded{border-color:#ef6c00}" +
    ".fd-link{all:unset;cursor:pointer;display:block;width:100%}.fd-hint{font-size:.9em;opacity:.8}" +
    ".fd-actions button{margin:0 8px 8px 0}.fd-low{color:#c62828;font-weight:600}" +
    ".fd-notice.fd-ok{color:#2e7d32}.fd-notice.fd-error{color:#c62828}";

  function start() {
    var desk = window.Fabdesk;
    document.head.appendChild(el("style", { text: STYLE }));
    desk.api("manage/texts").then(function (answer) {
      if (answer.status !== 200) return; // not a manager (any more): no tabs
      texts = answer.data || {};
      desk.addTab("maintenance", t("tab.maintenance"), renderMaintenance);
      desk.addTab("machines", t("tab.machines"), renderMachines);
      desk.addTab("hours", t("tab.hours"), renderHours);
      desk.addTab("members", t("tab.members"), renderMembers);
      desk.addTab("consumables", t("tab.consumables"), renderConsumables);
      desk.addTab("updates", t("tab.updates"), renderUpdates);
    });
  }

  // The shell may load after this script: wait for it (a few seconds at most).
  var tries = 0;
  (function wait() {
    if (window.Fabdesk && window.Fabdesk.addTab) start();
    else if (tries++ < 100) setTimeout(wait, 50);
  })();
})();
