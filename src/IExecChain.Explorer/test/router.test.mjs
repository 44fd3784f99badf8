import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageHref, currentPath } from '../app/router.js';
import pages from '../app/pages/index.js';

test('a nav link goes to the literal start of the page path unless the page names its href', () => {
  assert.equal(pageHref({ path: /^\/blocks(?:\/(\d+))?$/ }), '/blocks');
  assert.equal(pageHref({ path: /^\/search\?q=(.*)$/ }), '/search?q=');
  assert.equal(pageHref({ path: /^\/$/ }), '/');
  assert.equal(pageHref({ path: /^\/x$/, href: '/y' }), '/y');
});

test('the route is the fragment, and anything not starting with / is the dashboard', () => {
  assert.equal(currentPath({ hash: '#/block/12' }), '/block/12');
  assert.equal(currentPath({ hash: '' }), '/');
  assert.equal(currentPath({ hash: '#main' }), '/');
});

test('every page follows the page contract', () => {
  assert.ok(pages.length >= 1);
  for (const page of pages) {
    assert.ok(page.path instanceof RegExp, `${page.title}: path is a RegExp`);
    assert.equal(typeof page.title, 'string');
    assert.equal(typeof page.nav, 'boolean', `${page.title}: nav is a boolean`);
    assert.equal(typeof page.render, 'function', `${page.title}: render is a function`);
  }
  assert.ok(pages.some((p) => p.path.test('/')), 'a page answers the root');
});
