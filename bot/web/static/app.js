// The Mini App's page: the shell (tabs, sheet, toast, errors) and the members' tabs (the week's
// planning, time first, my bookings, opening hours). Plain DOM, no framework, no build step.
// Every call carries Telegram's signed launch data (bot/web/api.py); the server checks every rule
// again and this page only shows what it answers. Times are the lab's (its zone comes with the
// week), never the phone's, and "now" is the server's.
// For the managers' tabs (static/manage.js, loaded only for managers) the shell exposes
//   window.Fabdesk = {api(path, body?) -> Promise<{status, data}>, t(key), addTab(id, label, render(container))}.
(function () {
  "use strict";

  var tg = (window.Telegram && window.Telegram.WebApp) || null;
  var initData = (tg && tg.initData) || "";
  var CELL = 40; // px for one step of the week's grid (grid_minutes)
  var NAME_WIDTH = 112; // px of the machines' column

  // --- words ---

  var offline = (function () {
    var all = {};
    try {
      all = JSON.parse(document.getElementById("offline-texts").textContent) || {};
    } catch (e) {
      all = {};
    }
    var user = (tg && tg.initDataUnsafe && tg.initDataUnsafe.user) || {};
    var language = String(user.language_code || navigator.language || "").split("-")[0].toLowerCase();
    return all[language] || all[all["default"]] || {};
  })();
  var texts = {};
  var language = "en";

  function t(key) {
    return texts[key] || offline[key] || key;
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  // --- DOM ---

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else if (value === true) node.setAttribute(name, "");
      else node.setAttribute(name, value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var screen = document.getElementById("screen");
  var tabsBar = document.getElementById("tabs");
  var sheet = document.getElementById("sheet");
  var sheetTitle = document.getElementById("sheet-title");
  var sheetContent = document.getElementById("sheet-content");
  var toast = document.getElementById("toast");

  // --- the API ---

  function api(path, body) {
    var options = { method: body === undefined ? "GET" : "POST", headers: { Authorization: "tma " + initData } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch("api/" + path, options).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          if (response.status === 401) showUnauthorized();
          return { status: response.status, data: data || {} };
        });
    });
  }

  // The same, a network failure answered as status 0 (so every caller has one shape to read).
  function call(path, body) {
    return api(path, body).catch(function () {
      return { status: 0, data: {} };
    });
  }

  // The sentence for a failed answer: the server's own (a refusal), else ours.
  function failure(answer) {
    if (answer.status === 0) return t("network");
    if (answer.status === 401) return t("unauthorized");
    return (answer.data && answer.data.message) || t("error");
  }

  function problem(answer, retry) {
    return el("div", { class: "problem", role: "alert" }, [
      el("p", { text: failure(answer) }),
      retry && answer.status !== 401 ? el("button", { type: "button", class: "secondary", text: t("retry"), onclick: retry }) : null,
    ]);
  }

  var refused = false;
  function showUnauthorized() {
    if (refused) return;
    refused = true;
    closeSheet();
    tabsBar.hidden = true;
    screen.textContent = "";
    screen.appendChild(el("div", { class: "problem unauthorized", role: "alert" }, [el("p", { text: t("unauthorized") })]));
  }

  // --- times, in the lab's zone ---

  var zone = "UTC";
  var zoneFormat = null;

  function zoneOffset(utc) {
    // How far the lab's clock is ahead of UTC at this instant, in ms.
    if (!zoneFormat) {
      zoneFormat = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      });
    }
    var parts = {};
    zoneFormat.formatToParts(new Date(utc)).forEach(function (part) {
      parts[part.type] = Number(part.value);
    });
    var wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
    return wall - Math.floor(utc / 1000) * 1000;
  }

  function wallClock(day, minute) {
    var p = day.split("-").map(Number);
    return Date.UTC(p[0], p[1] - 1, p[2]) + minute * 60000;
  }

  // The instant (ms) of a lab-local day and minute.
  function instant(day, minute) {
    var wall = wallClock(day, minute);
    var guess = wall - zoneOffset(wall);
    return wall - zoneOffset(guess);
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function clock(minute) {
    return pad(Math.floor(minute / 60)) + ":" + pad(minute % 60);
  }

  function minuteOf(text) {
    var p = text.split(":").map(Number);
    return p[0] * 60 + p[1];
  }

  // ISO 8601 with the lab's offset, as the API wants it: "2030-03-05T10:00:00+01:00".
  function iso(day, minute) {
    var offset = Math.round(zoneOffset(instant(day, minute)) / 60000);
    var sign = offset < 0 ? "-" : "+";
    offset = Math.abs(offset);
    return day + "T" + clock(minute) + ":00" + sign + pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  function locale() {
    return language === "fr" ? "fr-FR" : "en-GB";
  }

  // An instant as the lab's short weekday and time: « mer. 04:00 ».
  function localMoment(ms) {
    return new Intl.DateTimeFormat(locale(), { timeZone: zone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(ms));
  }

  function dayName(day, style) {
    var options = style === "short" ? { weekday: "short", day: "numeric" } : { weekday: "long", day: "numeric", month: "long" };
    options.timeZone = "UTC";
    return new Intl.DateTimeFormat(locale(), options).format(new Date(day + "T12:00:00Z"));
  }

  function addDays(day, n) {
    return new Date(wallClock(day, 0) + n * 86400000).toISOString().slice(0, 10);
  }

  function span(start, end) {
    // Two ISO times the server wrote in the lab's zone: their own clock is the lab's. An unattended
    // run that ends another day says which: "18:00–Wed 6 04:00".
    var endDay = end.slice(0, 10);
    var ends = end.slice(11, 16);
    if (endDay !== start.slice(0, 10) && !(ends === "00:00" && endDay === addDays(start.slice(0, 10), 1))) {
      ends = dayName(endDay, "short") + " " + ends;
    }
    return start.slice(11, 16) + "–" + ends;
  }

  // Where a length from a start ends: "12:00", or another day's "Wed 6 04:00" (an unattended run).
  function endOf(day, minute) {
    if (minute <= 24 * 60) return clock(minute % (24 * 60));
    return dayName(addDays(day, Math.floor(minute / (24 * 60))), "short") + " " + clock(minute % (24 * 60));
  }

  function duration(minutes) {
    var h = Math.floor(minutes / 60);
    var m = minutes % 60;
    if (!h) return fill(t("minutes"), { m: m });
    if (!m) return fill(t("hours"), { h: h });
    return fill(t("hours_minutes"), { h: h, m: pad(m) });
  }

  // --- toast, haptics, sheet ---

  var toastTimer = null;
  function say(text) {
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () {
      toast.hidden = true;
    }, 3000);
  }

  function haptic(kind) {
    try {
      if (tg && tg.HapticFeedback) tg.HapticFeedback.notificationOccurred(kind);
    } catch (e) {
      /* an older Telegram: no haptics */
    }
  }

  function backButton(show) {
    try {
      if (!tg || !tg.BackButton) return;
      if (show) {
        tg.BackButton.onClick(closeSheet);
        tg.BackButton.show();
      } else {
        tg.BackButton.offClick(closeSheet);
        tg.BackButton.hide();
      }
    } catch (e) {
      /* an older Telegram: the sheet's own Close button is there */
    }
  }

  function openSheet(title, children) {
    sheetTitle.textContent = title;
    sheetContent.textContent = "";
    children.forEach(function (child) {
      if (child) sheetContent.appendChild(child);
    });
    sheet.hidden = false;
    backButton(true);
  }

  function closeSheet() {
    if (sheet.hidden) return;
    sheet.hidden = true;
    sheetContent.textContent = "";
    backButton(false);
  }

  sheet.addEventListener("click", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-close")) closeSheet();
  });

  // --- tabs ---

  var tabs = [];
  var current = null;

  // The managers' tabs (static/manage.js) name no icon: the shell gives theirs.
  var TAB_ICONS = { maintenance: "🔧", machines: "🛠", hours: "🗓", members: "👥", consumables: "📦", updates: "🔄" };

  function addTab(id, label, render, icon) {
    icon = icon || TAB_ICONS[id];
    var button = el("button", { type: "button", role: "tab", "data-tab": id, "aria-selected": "false" }, [
      icon ? el("span", { class: "tab-icon", "aria-hidden": "true", text: icon }) : null,
      el("span", { class: "tab-label", text: label }),
    ]);
    button.addEventListener("click", function () {
      showTab(id);
    });
    tabs.push({ id: id, button: button, render: render });
    tabsBar.appendChild(button);
  }

  function showTab(id) {
    var tab = tabs.filter(function (x) {
      return x.id === id;
    })[0];
    if (!tab || refused) return;
    current = id;
    closeSheet();
    tabs.forEach(function (x) {
      x.button.setAttribute("aria-selected", x.id === id ? "true" : "false");
    });
    screen.textContent = "";
    screen.scrollTop = 0;
    window.scrollTo(0, 0);
    var container = el("div", { class: "tab", "data-tab": id });
    screen.appendChild(container);
    tab.render(container);
  }

  function loading() {
    return el("p", { class: "notice", text: t("loading") });
  }

  // --- the week ---

  var plan = { start: null, first: null, kind: "", week: null };

  function loadWeek() {
    var path = "week" + (plan.start ? "?start=" + plan.start : "");
    return call(path).then(function (answer) {
      if (answer.status === 200) {
        plan.week = answer.data;
        plan.start = answer.data.start;
        if (!plan.first) plan.first = answer.data.start;
        if (answer.data.timezone && answer.data.timezone !== zone) {
          zone = answer.data.timezone;
          zoneFormat = null;
        }
      }
      return answer;
    });
  }

  function renderWeek(container) {
    container.appendChild(loading());
    loadWeek().then(function (answer) {
      if (current !== "week") return;
      container.textContent = "";
      if (answer.status !== 200) {
        container.appendChild(problem(answer, function () { showTab("week"); }));
        return;
      }
      drawWeek(container, answer.data);
    });
  }

  function refreshWeek() {
    if (current === "week") showTab("week");
  }

  function drawWeek(container, week) {
    var lastStart = addDays(week.horizon_end.slice(0, 10), -1);
    var previous = addDays(week.start, -7);
    var next = addDays(week.start, 7);
    if (previous < plan.first) previous = week.start > plan.first ? plan.first : null;
    if (next > lastStart) next = null;
    function go(start) {
      return function () {
        plan.start = start;
        showTab("week");
      };
    }
    container.appendChild(
      el("div", { class: "week-nav" }, [
        el("button", { type: "button", class: "icon", "aria-label": t("previous_week"), title: t("previous_week"), disabled: !previous, onclick: previous ? go(previous) : null, text: "‹" }),
        el("h2", { text: fill(t("week_of"), { day: dayName(week.start) }) }),
        el("button", { type: "button", class: "icon", "aria-label": t("next_week"), title: t("next_week"), disabled: !next, onclick: next ? go(next) : null, text: "›" }),
      ])
    );

    var kinds = [["", t("all_kinds")]].concat(
      week.kinds.map(function (k) {
        return [k.kind, k.icon + " " + k.label];
      })
    );
    var filter = select("kind", kinds, plan.kind);
    filter.classList.add("kind-filter");
    filter.addEventListener("change", function () {
      plan.kind = filter.value;
      container.textContent = "";
      drawWeek(container, week);
    });
    container.appendChild(el("label", { class: "inline-field" }, [el("span", { text: t("kind") }), filter]));
    container.appendChild(legend());

    var machines = week.machines.filter(function (m) {
      return !plan.kind || m.kind === plan.kind;
    });
    var columns = dayColumns(week);
    var box = el("div", { class: "grid-box" });
    container.appendChild(dayStrip(week, columns, box));
    box.appendChild(grid(week, machines, columns));
    container.appendChild(box);
    container.appendChild(el("p", { class: "hint", text: t("tap_free_time") }));
    // Redrawn (a booking made, a filter chosen), the grid stays where the member was; a new week
    // opens at the present time, or at its first day.
    var kept = plan.scroll && plan.scroll.start === week.start ? plan.scroll : null;
    var now = box.querySelector(".now-line");
    if (kept) {
      box.scrollLeft = kept.left;
      box.scrollTop = kept.top;
    } else if (now) {
      box.scrollLeft = Math.max(0, parseFloat(now.style.left) - NAME_WIDTH - CELL);
    }
    box.addEventListener("scroll", function () {
      plan.scroll = { start: week.start, left: box.scrollLeft, top: box.scrollTop };
    });
  }

  function legend() {
    var states = ["free", "mine", "booked", "downtime", "out_of_service", "closed", "past"];
    return el(
      "div",
      { class: "legend", "aria-label": t("legend") },
      states.map(function (state) {
        return el("span", { class: "legend-item" }, [el("i", { class: "swatch " + state }), t(state)]);
      })
    );
  }

  // The days' columns: from the first opening to the last closing, at CELL px a grid step.
  function dayColumns(week) {
    var grid = week.grid_minutes;
    var x = NAME_WIDTH;
    return week.days.map(function (day) {
      var intervals = (week.hours[day] || []).map(function (i) {
        return [minuteOf(i.open), minuteOf(i.close)];
      });
      var closure = week.closures.filter(function (c) { return c.day === day; })[0];
      var column = { day: day, intervals: intervals, left: x, closure: closure };
      if (intervals.length) {
        column.opens = Math.min.apply(null, intervals.map(function (i) { return i[0]; }));
        column.closes = Math.max.apply(null, intervals.map(function (i) { return i[1]; }));
        column.width = ((column.closes - column.opens) / grid) * CELL;
      } else {
        column.width = 3 * CELL;
      }
      x += column.width;
      return column;
    });
  }

  var PRIORITY = { mine: 3, downtime: 2, booked: 1 };

  // One machine's day: its slots (on the machine's own grid, from each opening), each told free,
  // booked, mine, downtime or past; neighbours in the same state drawn as one block.
  function machineDay(week, machine, column, busy, now, horizon) {
    var track = el("div", { class: "track", style: "width:" + column.width + "px" });
    if (!column.intervals.length) {
      track.classList.add("closed-day");
      track.appendChild(el("span", { class: "track-label", text: t("closed") }));
      // An unattended run goes on through a closed day: drawn over it, with its end.
      var dayStart = instant(column.day, 0);
      var dayEnd = instant(column.day, 24 * 60);
      busy.forEach(function (b) {
        if (b.state === "downtime" || !(b.start < dayEnd && b.end > dayStart)) return;
        var through = block(b.state, 0, column.width, t(b.state) + " " + fill(t("runs_until"), { when: localMoment(b.end) }));
        through.classList.add("runs-on");
        through.setAttribute("data-machine", machine.id);
        if (b.booking) through.setAttribute("data-booking", b.booking);
        track.appendChild(through);
      });
      return track;
    }
    if (machine.out_of_service) {
      track.appendChild(block("out_of_service", 0, column.width, t("out_of_service")));
      return track;
    }
    var scale = CELL / week.grid_minutes;
    var first = machine.earliest ? Math.max(now, Date.parse(machine.earliest)) : now;
    var slots = [];
    column.intervals.forEach(function (interval) {
      for (var s = interval[0]; s + machine.slot_minutes <= interval[1]; s += machine.slot_minutes) {
        var from = instant(column.day, s);
        var to = instant(column.day, s + machine.slot_minutes);
        var state = "free";
        var booking = null;
        var until = to;
        busy.forEach(function (b) {
          if (b.start < to && b.end > from && (PRIORITY[b.state] || 0) > (PRIORITY[state] || 0)) {
            state = b.state;
            booking = b.booking || null;
            until = b.end;
          }
        });
        // Within the machine's minimum notice, a slot cannot be booked yet: drawn as past.
        if (state === "free" && (from < first || from >= horizon)) state = "past";
        slots.push({ minute: s, state: state, booking: booking, until: until, to: to });
      }
    });
    var i = 0;
    while (i < slots.length) {
      var slot = slots[i];
      var left = (slot.minute - column.opens) * scale;
      if (slot.state === "free") {
        var start = iso(column.day, slot.minute);
        track.appendChild(
          el("button", {
            type: "button",
            class: "cell free",
            style: "left:" + left + "px;width:" + machine.slot_minutes * scale + "px",
            "data-machine": machine.id,
            "data-start": start,
            "aria-label": t("free") + " " + machine.name + " " + dayName(column.day) + " " + clock(slot.minute),
            text: clock(slot.minute),
            onclick: (function (begin, minute) {
              return function () {
                bookSheet(machine, column.day, minute, begin);
              };
            })(start, slot.minute),
          })
        );
        i += 1;
        continue;
      }
      var j = i;
      while (
        j + 1 < slots.length &&
        slots[j + 1].state === slot.state &&
        slots[j + 1].booking === slot.booking &&
        slots[j + 1].minute === slots[j].minute + machine.slot_minutes
      ) {
        j += 1;
      }
      var width = (slots[j].minute + machine.slot_minutes - slot.minute) * scale;
      var label = slot.state === "past" ? "" : t(slot.state);
      // A booking going on past the day's closing (an unattended run) says until when.
      var last = slots[j];
      var runsOn = last.until > last.to && (j + 1 >= slots.length || slots[j + 1].minute !== last.minute + machine.slot_minutes);
      if (runsOn) label = label + " " + fill(t("runs_until"), { when: localMoment(last.until) });
      var drawn = block(slot.state, left, width, label);
      if (runsOn) drawn.classList.add("runs-on");
      drawn.setAttribute("data-machine", machine.id);
      drawn.setAttribute("data-start", iso(column.day, slot.minute));
      if (slot.booking) drawn.setAttribute("data-booking", slot.booking);
      track.appendChild(drawn);
      i = j + 1;
    }
    return track;
  }

  function block(state, left, width, label) {
    return el("div", { class: "cell block " + state, style: "left:" + left + "px;width:" + width + "px", title: label || null }, [
      label ? el("span", { text: label }) : null,
    ]);
  }

  // A button a day, over the grid: one tap brings that day into the grid's view.
  function dayStrip(week, columns, box) {
    return el(
      "div",
      { class: "days" },
      columns.map(function (column) {
        var parts = dayName(column.day, "short").split(" ");
        return el(
          "button",
          {
            type: "button",
            class: "day" + (column.day === week.today ? " today" : "") + (column.intervals.length ? "" : " closed-day"),
            "data-day": column.day,
            "aria-label": dayName(column.day),
            onclick: function () {
              box.scrollLeft = column.left - NAME_WIDTH;
            },
          },
          [el("span", { text: parts[0].replace(/\.$/, "") }), el("strong", { text: parts.slice(1).join(" ") })]
        );
      })
    );
  }

  function grid(week, machines, columns) {
    var last = columns[columns.length - 1];
    var width = last.left + last.width;
    var now = Date.parse(week.now);
    var horizon = Date.parse(week.horizon_end);
    var table = el("div", { class: "grid", style: "width:" + width + "px" });

    var header = el("div", { class: "row head" }, [el("div", { class: "name corner" })]);
    columns.forEach(function (column) {
      var head = el("div", { class: "day-head" + (column.day === week.today ? " today" : ""), style: "width:" + column.width + "px" }, [
        el("div", { class: "day-name", text: dayName(column.day, "short") }),
      ]);
      var ticks = el("div", { class: "ticks" });
      if (column.intervals.length) {
        for (var h = Math.ceil(column.opens / 60) * 60; h < column.closes; h += 60) {
          ticks.appendChild(el("span", { class: "tick", style: "left:" + ((h - column.opens) / week.grid_minutes) * CELL + "px", text: clock(h) }));
        }
      } else {
        ticks.appendChild(el("span", { class: "tick closed-tick", text: column.closure && column.closure.reason ? column.closure.reason : t("closed") }));
      }
      head.appendChild(ticks);
      header.appendChild(head);
    });
    table.appendChild(header);

    var kinds = week.kinds.filter(function (k) {
      return machines.some(function (m) { return m.kind === k.kind; });
    });
    kinds.forEach(function (k) {
      table.appendChild(el("div", { class: "row group" }, [el("div", { class: "group-name", text: k.icon + " " + k.label })]));
      machines
        .filter(function (m) { return m.kind === k.kind; })
        .forEach(function (machine) {
          var busy = week.busy
            .filter(function (b) { return b.machine === machine.id; })
            .map(function (b) {
              return { start: Date.parse(b.start), end: Date.parse(b.end), state: b.state, booking: b.booking };
            });
          var locked = machine.training_required && !machine.authorized;
          var row = el("div", { class: "row machine", "data-machine": machine.id }, [
            el("div", { class: "name" }, [
              el("span", { class: "machine-name", text: machine.name }),
              locked ? el("span", { class: "badge", text: "🔒 " + t("training_required") }) : null,
              machine.out_of_service ? el("span", { class: "badge", text: t("out_of_service") }) : null,
            ]),
          ]);
          columns.forEach(function (column) {
            row.appendChild(machineDay(week, machine, column, busy, now, horizon));
          });
          table.appendChild(row);
        });
    });

    var today = columns.filter(function (c) { return c.day === week.today; })[0];
    if (today && today.intervals.length) {
      var minute = (now - instant(today.day, 0)) / 60000;
      minute = Math.min(Math.max(minute, today.opens), today.closes);
      var x = today.left + ((minute - today.opens) / week.grid_minutes) * CELL;
      table.appendChild(el("div", { class: "now-line", style: "left:" + x + "px", title: t("now") }, [el("span", { text: t("now") })]));
    }
    return table;
  }

  function bookSheet(machine, day, minute, start) {
    var when = el("p", { class: "when", text: dayName(day) + " · " + clock(minute) });
    var choices = el("div", { class: "lengths", role: "radiogroup", "aria-label": t("choose_length") }, [loading()]);
    var said = el("p", { class: "said", role: "alert", hidden: true });
    var chosen = null;
    var confirm = el("button", { type: "button", class: "primary", text: t("confirm"), disabled: true });
    var close = el("button", { type: "button", class: "secondary", text: t("close"), onclick: closeSheet });
    function tell(text) {
      said.textContent = text;
      said.hidden = false;
    }
    confirm.addEventListener("click", function () {
      if (!chosen) return;
      confirm.disabled = true;
      call("book", { machine: machine.id, start: start, minutes: chosen }).then(function (answer) {
        if (answer.status === 200) {
          closeSheet();
          haptic("success");
          say(t("booked_ok"));
          refreshWeek();
          return;
        }
        haptic("error");
        tell(failure(answer));
        if (answer.status !== 0) {
          choices.textContent = "";
          question.hidden = true;
          confirm.hidden = true;
          reloadBehindSheet();
        } else {
          confirm.disabled = false; // the network: the same choice may be tried again
        }
      });
    });
    var question = el("h3", { text: t("choose_length") });
    openSheet(machine.name, [when, question, choices, said, el("div", { class: "actions" }, [confirm, close])]);
    call("lengths?machine=" + machine.id + "&start=" + encodeURIComponent(start)).then(function (answer) {
      choices.textContent = "";
      if (answer.status !== 200) {
        // Refused (a training needed, the time gone): the reason and Close, no question left open.
        question.hidden = true;
        confirm.hidden = true;
        tell(failure(answer));
        return;
      }
      answer.data.lengths.forEach(function (minutes, index) {
        var option = el("button", {
          type: "button",
          class: "chip length",
          role: "radio",
          "data-minutes": minutes,
          "aria-checked": "false",
          text: duration(minutes) + " · " + clock(minute) + "–" + endOf(day, minute + minutes),
          onclick: function () { pick(minutes); },
        });
        choices.appendChild(option);
        if (index === 0) pick(minutes);
      });
    });
    function pick(minutes) {
      chosen = minutes;
      confirm.disabled = false;
      Array.prototype.forEach.call(choices.children, function (option) {
        option.setAttribute("aria-checked", Number(option.getAttribute("data-minutes")) === minutes ? "true" : "false");
      });
    }
  }

  // After a refusal the sheet stays (its sentence read), and the grid behind it is redrawn.
  function reloadBehindSheet() {
    if (current !== "week") return;
    loadWeek().then(function (answer) {
      var container = screen.querySelector(".tab[data-tab=week]");
      if (answer.status !== 200 || !container || current !== "week") return;
      container.textContent = "";
      drawWeek(container, answer.data);
    });
  }

  // --- time first ---

  function renderFind(container) {
    container.appendChild(loading());
    Promise.all([plan.week ? Promise.resolve({ status: 200, data: plan.week }) : loadWeek(), call("hours")]).then(function (answers) {
      if (current !== "find") return;
      container.textContent = "";
      var failed = answers.filter(function (a) { return a.status !== 200; })[0];
      if (failed) {
        container.appendChild(problem(failed, function () { showTab("find"); }));
        return;
      }
      drawFind(container, answers[0].data, answers[1].data);
    });
  }

  function select(name, options, value) {
    var node = el("select", { name: name });
    options.forEach(function (o) {
      var option = el("option", { value: o[0], text: o[1] });
      if (String(o[0]) === String(value)) option.selected = true;
      node.appendChild(option);
    });
    return node;
  }

  function field(label, input) {
    return el("label", { class: "field" }, [el("span", { text: label }), input]);
  }

  var find = { kind: "", day: null, minute: null, minutes: null };

  function drawFind(container, week, hours) {
    var now = Date.parse(week.now);
    var closed = {};
    hours.closures.forEach(function (c) { closed[c.day] = true; });
    var days = [];
    for (var day = week.today; day < week.horizon_end.slice(0, 10); day = addDays(day, 1)) {
      var weekday = (new Date(day + "T12:00:00Z").getUTCDay() + 6) % 7;
      if (!closed[day] && hours.hours[weekday].intervals.length) days.push(day);
    }
    var grid = week.grid_minutes;
    var longest = Math.max.apply(null, [grid].concat(week.machines.map(function (m) { return m.max_minutes; })));
    var lengths = [];
    for (var m = grid; m <= Math.min(longest, 8 * 60); m += grid) lengths.push([m, duration(m)]);
    if (!find.day || days.indexOf(find.day) < 0) find.day = days[0] || null;
    if (!find.minutes) find.minutes = Math.min(60, longest) - (Math.min(60, longest) % grid) || grid;

    var kind = select("kind", [["", t("any_kind")]].concat(week.kinds.map(function (k) { return [k.kind, k.icon + " " + k.label]; })), find.kind);
    var daySelect = select("day", days.map(function (d) { return [d, dayName(d)]; }), find.day);
    var time = el("select", { name: "time" });
    var length = select("length", lengths, find.minutes);
    var results = el("div", { class: "results", "aria-live": "polite" });

    function times() {
      time.textContent = "";
      if (!find.day) return;
      var weekday = (new Date(find.day + "T12:00:00Z").getUTCDay() + 6) % 7;
      hours.hours[weekday].intervals.forEach(function (i) {
        for (var s = minuteOf(i.open); s + grid <= minuteOf(i.close); s += grid) {
          if (instant(find.day, s) < now) continue;
          var option = el("option", { value: s, text: clock(s) });
          if (s === find.minute) option.selected = true;
          time.appendChild(option);
        }
      });
      if (time.value !== "") find.minute = Number(time.value);
    }
    times();
    daySelect.addEventListener("change", function () {
      find.day = daySelect.value;
      times();
    });
    time.addEventListener("change", function () { find.minute = Number(time.value); });
    kind.addEventListener("change", function () { find.kind = kind.value; });
    length.addEventListener("change", function () { find.minutes = Number(length.value); });

    var form = el("form", { class: "find" }, [
      field(t("kind"), kind),
      el("div", { class: "pair" }, [field(t("day"), daySelect), field(t("time"), time)]),
      field(t("length"), length),
      el("button", { type: "submit", class: "primary", text: t("search") }),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      search();
    });

    function search() {
      if (!find.day || time.value === "") {
        results.textContent = "";
        results.appendChild(el("p", { class: "notice", text: t("no_free_machine") }));
        return;
      }
      var start = iso(find.day, Number(time.value));
      var minutes = Number(length.value);
      var path = "free?start=" + encodeURIComponent(start) + "&minutes=" + minutes + (kind.value ? "&kind=" + kind.value : "");
      results.textContent = "";
      results.appendChild(loading());
      call(path).then(function (answer) {
        results.textContent = "";
        if (answer.status !== 200) {
          results.appendChild(problem(answer, search));
          return;
        }
        var from = Number(time.value);
        results.appendChild(
          el("h3", {}, [
            t("free_machines") + " — " + dayName(find.day) + " · ",
            el("span", { class: "nowrap", text: clock(from) + "–" + clock((from + minutes) % 1440) }),
          ])
        );
        if (!answer.data.machines.length) {
          results.appendChild(el("p", { class: "notice", text: t("no_free_machine") }));
          return;
        }
        answer.data.machines.forEach(function (machine) {
          var said = el("p", { class: "said", role: "alert", hidden: true });
          var book = el("button", {
            type: "button",
            class: "primary",
            "data-machine": machine.id,
            text: t("book"),
            "aria-label": fill(t("book_this"), { machine: machine.name }),
          });
          book.addEventListener("click", function () {
            book.disabled = true;
            call("book", { machine: machine.id, start: start, minutes: minutes }).then(function (booked) {
              if (booked.status === 200) {
                haptic("success");
                say(t("booked_ok"));
                search();
                return;
              }
              haptic("error");
              said.textContent = failure(booked);
              said.hidden = false;
            });
          });
          results.appendChild(
            el("div", { class: "card" }, [
              el("div", { class: "card-text" }, [
                el("strong", { text: machine.icon + " " + machine.name }),
                machine.location ? el("span", { class: "hint", text: machine.location }) : null,
              ]),
              book,
              said,
            ])
          );
        });
      });
    }

    container.appendChild(el("h2", { text: t("tab_find") }));
    container.appendChild(form);
    container.appendChild(results);
  }

  // --- my bookings ---

  function renderMine(container) {
    container.appendChild(el("h2", { text: t("tab_mine") }));
    var list = el("div", { class: "mine" }, [loading()]);
    container.appendChild(list);
    call("mine").then(function (answer) {
      if (current !== "mine") return;
      list.textContent = "";
      if (answer.status !== 200) {
        list.appendChild(problem(answer, function () { showTab("mine"); }));
        return;
      }
      if (!answer.data.bookings.length) {
        list.appendChild(el("p", { class: "notice", text: t("no_bookings") }));
        return;
      }
      answer.data.bookings.forEach(function (booking) {
        var when = dayName(booking.start.slice(0, 10)) + " · " + span(booking.start, booking.end);
        list.appendChild(
          el("div", { class: "card", "data-booking": booking.id }, [
            el("div", { class: "card-text" }, [
              el("strong", { text: booking.name }),
              el("span", { text: dayName(booking.start.slice(0, 10)) }),
              el("span", { text: span(booking.start, booking.end) }),
              booking.guest ? el("span", { class: "guest", text: "« " + booking.guest + " »" }) : null,
            ]),
            booking.can_cancel
              ? el("button", {
                  type: "button",
                  class: "secondary change",
                  text: t("change_booking"),
                  onclick: function () { changeSheet(booking, when); },
                })
              : null,
            booking.can_cancel
              ? el("button", {
                  type: "button",
                  class: "secondary danger",
                  text: t("cancel_booking"),
                  onclick: function () { cancelSheet(booking, when); },
                })
              : null,
          ])
        );
      });
    });
  }

  function cancelSheet(booking, when) {
    var said = el("p", { class: "said", role: "alert", hidden: true });
    var yes = el("button", { type: "button", class: "primary danger", text: t("yes_cancel") });
    var asNoShow = false; // past the machine's cancellation deadline: the member said yes to a no-show
    yes.addEventListener("click", function () {
      yes.disabled = true;
      call("cancel", { booking: booking.id, no_show_accepted: asNoShow }).then(function (answer) {
        if (answer.status === 200) {
          closeSheet();
          haptic("success");
          say(t("cancelled_ok"));
          showTab("mine");
          return;
        }
        haptic("error");
        said.textContent = failure(answer);
        said.hidden = false;
        if (answer.status === 409 && answer.data && answer.data.error === "LateCancellation") {
          asNoShow = true; // the sentence says it counts as a no-show: the same button confirms it
          yes.textContent = t("cancel_as_no_show");
          yes.disabled = false;
        }
      });
    });
    openSheet(t("cancel_confirm"), [
      el("p", { class: "when" }, [el("strong", { text: booking.name }), el("br"), when]),
      said,
      el("div", { class: "actions" }, [yes, el("button", { type: "button", class: "secondary", text: t("keep_booking"), onclick: closeSheet })]),
    ]);
  }

  // Another length from the same start, or another start keeping the length: one tap picks, Confirm
  // changes the booking in place (the server checks it again; a time just taken is said).
  function changeSheet(booking, when) {
    var said = el("p", { class: "said", role: "alert", hidden: true });
    var lengths = el("div", { class: "lengths", role: "radiogroup", "aria-label": t("other_length") }, [loading()]);
    var starts = el("div", { class: "lengths moves", role: "radiogroup", "aria-label": t("other_time") });
    var chosen = null;
    var confirm = el("button", { type: "button", class: "primary", text: t("confirm"), disabled: true });
    var close = el("button", { type: "button", class: "secondary", text: t("close"), onclick: closeSheet });
    var minutesNow = (Date.parse(booking.end) - Date.parse(booking.start)) / 60000;
    function tell(text) {
      said.textContent = text;
      said.hidden = false;
    }
    function option(className, label, start, minutes) {
      return el("button", {
        type: "button",
        class: "chip " + className,
        role: "radio",
        "aria-checked": "false",
        "data-start": start,
        "data-minutes": minutes,
        text: label,
        onclick: function (event) { pick(event.currentTarget, start, minutes); },
      });
    }
    function pick(button, start, minutes) {
      chosen = { start: start, minutes: minutes };
      confirm.disabled = false;
      Array.prototype.forEach.call(sheetContent.querySelectorAll(".chip"), function (other) {
        other.setAttribute("aria-checked", other === button ? "true" : "false");
      });
    }
    confirm.addEventListener("click", function () {
      if (!chosen) return;
      confirm.disabled = true;
      call("change", { booking: booking.id, start: chosen.start, minutes: chosen.minutes }).then(function (answer) {
        if (answer.status === 200) {
          closeSheet();
          haptic("success");
          say(t("changed_ok"));
          showTab("mine");
          return;
        }
        haptic("error");
        tell(failure(answer));
        confirm.disabled = answer.status !== 0;
      });
    });
    var lengthTitle = el("h3", { text: t("other_length") });
    var startTitle = el("h3", { text: t("other_time") });
    openSheet(t("change_title"), [
      el("p", { class: "when" }, [el("strong", { text: booking.name }), el("br"), when]),
      lengthTitle, lengths, startTitle, starts, said,
      el("div", { class: "actions" }, [confirm, close]),
    ]);
    call("change_options?booking=" + booking.id).then(function (answer) {
      lengths.textContent = "";
      if (answer.status !== 200) {
        lengthTitle.hidden = startTitle.hidden = confirm.hidden = true;
        tell(failure(answer));
        return;
      }
      answer.data.lengths.forEach(function (minutes) {
        var label = duration(minutes) + " · " + booking.start.slice(11, 16) + "–" + shiftClock(booking.start, minutes);
        lengths.appendChild(option("length", label, booking.start, minutes));
      });
      answer.data.starts.forEach(function (start) {
        var label = dayName(start.slice(0, 10)) + " · " + start.slice(11, 16) + "–" + shiftClock(start, minutesNow);
        starts.appendChild(option("move", label, start, minutesNow));
      });
      lengthTitle.hidden = !answer.data.lengths.length;
      startTitle.hidden = !answer.data.starts.length;
      if (!answer.data.lengths.length && !answer.data.starts.length) {
        confirm.hidden = true;
        tell(t("no_change"));
      }
    });
  }

  // The clock `minutes` after an ISO time of the lab (its own offset: the same day's wall clock).
  function shiftClock(iso, minutes) {
    var h = Number(iso.slice(11, 13));
    var m = Number(iso.slice(14, 16));
    return clock((h * 60 + m + minutes) % 1440);
  }

  // --- opening hours ---

  function renderHours(container) {
    container.appendChild(el("h2", { text: t("tab_hours") }));
    var body = el("div", {}, [loading()]);
    container.appendChild(body);
    call("hours").then(function (answer) {
      if (current !== "opening") return;
      body.textContent = "";
      if (answer.status !== 200) {
        body.appendChild(problem(answer, function () { showTab("opening"); }));
        return;
      }
      var week = el("table", { class: "hours" });
      answer.data.hours.forEach(function (day) {
        var open = day.intervals.map(function (i) { return i.open + "–" + i.close; }).join(", ");
        week.appendChild(el("tr", { class: open ? "" : "closed-row" }, [el("th", { text: day.label }), el("td", { text: open || t("closed") })]));
      });
      body.appendChild(el("h3", { text: t("weekly_hours") }));
      body.appendChild(week);
      body.appendChild(el("h3", { text: t("closures") }));
      if (!answer.data.closures.length) body.appendChild(el("p", { class: "notice", text: t("no_closures") }));
      else
        body.appendChild(
          el(
            "ul",
            { class: "closures" },
            answer.data.closures.map(function (c) {
              return el("li", {}, [el("strong", { text: dayName(c.day) }), c.reason ? " · " + c.reason : ""]);
            })
          )
        );
    });
  }

  // --- theme ---

  var THEME_KEYS = ["bg_color", "text_color", "hint_color", "link_color", "button_color", "button_text_color", "secondary_bg_color", "destructive_text_color", "section_bg_color", "accent_text_color"];

  function applyTheme() {
    var root = document.documentElement;
    var params = (tg && tg.themeParams) || {};
    THEME_KEYS.forEach(function (key) {
      if (params[key]) root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), params[key]);
    });
    var scheme = tg && tg.colorScheme;
    if (!scheme) scheme = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    root.setAttribute("data-scheme", scheme);
  }

  // --- start ---

  window.Fabdesk = { api: api, t: t, addTab: addTab };

  function start() {
    refused = false;
    tabsBar.hidden = false;
    screen.textContent = "";
    screen.appendChild(loading());
    if (!initData) {
      showUnauthorized();
      return;
    }
    Promise.all([call("texts"), call("me")]).then(function (answers) {
      var failed = answers.filter(function (a) { return a.status !== 200; })[0];
      if (failed) {
        if (failed.status === 401) return showUnauthorized();
        screen.textContent = "";
        screen.appendChild(problem(failed, start));
        return;
      }
      texts = answers[0].data;
      var me = answers[1].data;
      language = me.language || "en";
      document.documentElement.lang = language;
      document.title = t("app_title");
      if (!tabs.length) {
        addTab("week", t("tab_week"), renderWeek, "📅");
        addTab("find", t("tab_find"), renderFind, "🔎");
        addTab("mine", t("tab_mine"), renderMine, "🗂");
        addTab("opening", t("tab_hours"), renderHours, "🕘");
        if (me.manager) document.body.appendChild(el("script", { src: "static/manage.js" }));
      }
      showTab(current || "week");
    });
  }

  applyTheme();
  if (tg) {
    try {
      tg.ready();
      tg.expand();
      if (tg.onEvent) tg.onEvent("themeChanged", applyTheme);
    } catch (e) {
      /* an older Telegram */
    }
  }
  start();
})();
