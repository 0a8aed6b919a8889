// A stand-in for https://telegram.org/js/telegram-web-app.js in the browser tests
// (tests/test_miniapp_browser.py serves it in place of Telegram's script). What a test opens the
// app with is set before the page loads, in window.__fabdeskLaunch = {initData, themeParams,
// colorScheme}; what the page asked of Telegram is kept in window.__telegramCalls.
(function () {
  "use strict";
  var launch = window.__fabdeskLaunch || {};
  var calls = (window.__telegramCalls = []);
  var handlers = {};

  function record(name) {
    return function () {
      calls.push(name);
    };
  }

  function unsafe(initData) {
    var result = {};
    new URLSearchParams(initData || "").forEach(function (value, key) {
      try {
        result[key] = key === "user" ? JSON.parse(value) : value;
      } catch (e) {
        result[key] = value;
      }
    });
    return result;
  }

  function button(name) {
    var clicks = [];
    return {
      isVisible: false,
      text: "",
      show: function () { this.isVisible = true; calls.push(name + ".show"); return this; },
      hide: function () { this.isVisible = false; calls.push(name + ".hide"); return this; },
      setText: function (text) { this.text = text; return this; },
      setParams: function () { return this; },
      enable: function () { return this; },
      disable: function () { return this; },
      showProgress: function () { return this; },
      hideProgress: function () { return this; },
      onClick: function (callback) { clicks.push(callback); return this; },
      offClick: function (callback) { clicks = clicks.filter(function (c) { return c !== callback; }); return this; },
    };
  }

  window.Telegram = {
    WebApp: {
      initData: launch.initData || "",
      initDataUnsafe: unsafe(launch.initData),
      version: "7.0",
      platform: "tdesktop",
      colorScheme: launch.colorScheme || "light",
      themeParams: launch.themeParams || {},
      isExpanded: false,
      viewportHeight: window.innerHeight,
      ready: record("ready"),
      expand: function () { this.isExpanded = true; calls.push("expand"); },
      close: record("close"),
      isVersionAtLeast: function () { return true; },
      onEvent: function (name, callback) { (handlers[name] = handlers[name] || []).push(callback); },
      offEvent: function (name, callback) {
        handlers[name] = (handlers[name] || []).filter(function (c) { return c !== callback; });
      },
      MainButton: button("MainButton"),
      BackButton: button("BackButton"),
      HapticFeedback: {
        impactOccurred: record("haptic.impact"),
        notificationOccurred: function (kind) { calls.push("haptic." + kind); },
        selectionChanged: record("haptic.selection"),
      },
      showAlert: function (message, callback) { calls.push("alert:" + message); if (callback) callback(); },
      showConfirm: function (message, callback) { calls.push("confirm:" + message); if (callback) callback(true); },
    },
  };
})();
