/**
 * webframe: the application framework. An app is a folder with `urls.ts`, `views.ts`, `settings.ts` and
 * `static/`; `loadApp` turns it into an App: the Handler that the protocol's server end (serveFrames) runs
 * once per request, and `app.request(method, target)` to ask it in process. A view returns a result or a
 * helper's reply, or throws an HttpError to answer with its status.
 */
export { HttpError, type HttpErrorInit } from '../errors/catalogue.js';
export type { InProcessInit } from '../http/in-process.js';
export type { Logger, LogMethod } from '../log/logger.js';
export type { App } from './app.js';
export { type LoadAppOptions, type LoadedApp, loadApp } from './app-loader.js';
export { defineUrls } from './define-urls.js';
export type { SettingsOverrides, WebframeSettings, WebframeSettingsInput } from './settings.js';
export type {
  HttpMethod,
  MethodKey,
  MethodViews,
  ParamsOf,
  PathParams,
  Route,
  Urls,
  View,
  ViewResult,
  WebframeRequest,
} from './types.js';
export { type HelperInit, html, json, redirect, reply, text, ViewReply } from './view-reply.js';
