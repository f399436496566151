/**
 * webframe: the application framework. An app is a folder with `urls.ts`, `views.ts`, `settings.ts` and
 * `static/`; `loadApp` turns it into the StreamHandler that the protocol server calls once per request.
 */
export { type App, type LoadAppOptions, loadApp } from './app-loader.js';
export type { SettingsOverrides, WebframeSettings, WebframeSettingsInput } from './settings.js';
export type { MethodViews, Route, Urls, View, ViewResult, WebframeRequest } from './types.js';
export { type HelperInit, html, json, redirect, reply, text, ViewReply } from './view-reply.js';
