// Preferences for the Firefox profiles of the end-to-end tests: the browser
// talks to nobody but the test's own TLS server on 127.0.0.1, shows no
// first-run or what's-new page, and trusts nothing but its builtin roots and
// the modules the test loads.
//
// Checked with firefox-esr 153.8.0esr: a fresh profile without these prefs,
// its traffic sent to a logging proxy, reached location.services,
// firefox.settings.services, detectportal, mitmdetection (on the certificate
// error page), services.addons, aus5, update.googleapis and
// ciscobinary.openh264 within 30 seconds; with them (and
// MOZ_DISABLE_NONLOCAL_CONNECTIONS=1 or MOZ_REMOTE_SETTINGS_DEVTOOLS=1, see
// remote settings below), nothing in 45 seconds.

// First run, start page, default-browser prompt, session restore.
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.startup.page", 0);
user_pref("browser.startup.homepage", "about:blank");
user_pref("startup.homepage_welcome_url", "");
user_pref("startup.homepage_welcome_url.additional", "");
user_pref("startup.homepage_override_url", "");
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.sessionstore.resume_from_crash", false);
user_pref("toolkit.startup.max_resumed_crashes", -1);
user_pref("browser.tabs.warnOnClose", false);
user_pref("trailhead.firstrun.didSeeAboutWelcome", true);
user_pref("datareporting.policy.firstRunURL", "");

// Updates: the application, add-ons, search engines, media plugins.
user_pref("app.update.auto", false);
user_pref("app.update.enabled", false);
user_pref("app.update.checkInstallTime", false);
user_pref("app.update.disabledForTesting", true);
user_pref("app.update.url", "");
user_pref("extensions.update.enabled", false);
user_pref("extensions.update.autoUpdateDefault", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("extensions.systemAddon.update.enabled", false);
user_pref("extensions.systemAddon.update.url", "");
user_pref("extensions.blocklist.enabled", false);
user_pref("browser.search.update", false);
user_pref("media.gmp-manager.updateEnabled", false);
user_pref("media.gmp-manager.url", "");
user_pref("media.gmp-gmpopenh264.enabled", false);
user_pref("media.gmp-widevinecdm.enabled", false);

// Telemetry, studies, experiments, crash reports.
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.usage.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.unified", false);
user_pref("toolkit.telemetry.archive.enabled", false);
user_pref("toolkit.telemetry.server", "");
user_pref("toolkit.telemetry.newProfilePing.enabled", false);
user_pref("toolkit.telemetry.shutdownPingSender.enabled", false);
user_pref("toolkit.telemetry.firstShutdownPing.enabled", false);
user_pref("toolkit.telemetry.updatePing.enabled", false);
user_pref("toolkit.telemetry.bhrPing.enabled", false);
user_pref("toolkit.coverage.opt-out", true);
user_pref("app.normandy.enabled", false);
user_pref("app.normandy.api_url", "");
user_pref("app.shield.optoutstudies.enabled", false);
user_pref("messaging-system.rsexperimentloader.enabled", false);
user_pref("browser.crashReports.unsubmittedCheck.enabled", false);
user_pref("breakpad.reportURL", "");

// Remote settings (blocklists, CRLite, intermediates, search config...):
// pointed at a port nobody listens on, so any fetch fails at once. Release
// builds ignore this server preference unless MOZ_DISABLE_NONLOCAL_CONNECTIONS=1
// (which tests/e2e/lib.sh sets) or MOZ_REMOTE_SETTINGS_DEVTOOLS=1 is in the
// environment.
user_pref("services.settings.server", "http://127.0.0.1:9/v1");
user_pref("security.remote_settings.crlite_filters.enabled", false);
user_pref("security.remote_settings.intermediates.enabled", false);
user_pref("security.pki.crlite_mode", 0);

// Safe browsing.
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.blockedURIs.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("browser.safebrowsing.downloads.remote.enabled", false);
user_pref("browser.safebrowsing.provider.google.updateURL", "");
user_pref("browser.safebrowsing.provider.google4.updateURL", "");
user_pref("browser.safebrowsing.provider.mozilla.updateURL", "");

// Captive portal and connectivity checks; DNS over HTTPS; region lookup.
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("captivedetect.canonicalURL", "");
user_pref("network.trr.mode", 5);
user_pref("doh-rollout.disable-heuristics", true);
user_pref("browser.region.update.enabled", false);
user_pref("browser.region.network.url", "");
user_pref("geo.provider.network.url", "");

// Speculative connections and prefetching.
user_pref("network.prefetch-next", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.http.speculative-parallel-limit", 0);
user_pref("browser.urlbar.speculativeConnect.enabled", false);
user_pref("browser.places.speculativeConnect.enabled", false);

// Certificate checks that go to the network: OCSP (the fixtures name no
// responder anyway), and the "is someone intercepting your traffic?" probe
// Firefox sends when it shows a certificate error page.
user_pref("security.OCSP.enabled", 0);
user_pref("security.certerrors.mitm.priming.enabled", false);
user_pref("security.certerrors.mitm.auto_enable_enterprise_roots", false);
// Only the test's modules and the builtin roots: no roots from the system.
user_pref("security.enterprise_roots.enabled", false);

// Other services: push, sync, new tab content, recommendations.
user_pref("dom.push.connection.enabled", false);
user_pref("dom.push.serverURL", "");
user_pref("identity.fxaccounts.enabled", false);
user_pref("browser.newtabpage.activity-stream.feeds.system.topstories", false);
user_pref("browser.newtabpage.activity-stream.feeds.section.topstories", false);
user_pref("browser.newtabpage.activity-stream.feeds.telemetry", false);
user_pref("browser.newtabpage.activity-stream.telemetry", false);
user_pref("browser.topsites.contile.enabled", false);
user_pref("browser.discovery.enabled", false);
user_pref("extensions.htmlaboutaddons.recommendations.enabled", false);
user_pref("browser.ping-centre.telemetry", false);
user_pref("browser.ml.enable", false);
