/* geod map widget. A portal page embeds it with
 *   <script src="https://GEOD/widget.js"></script>
 *   <div data-geod-widget data-category="hospital,relief_station" data-center="114.30,30.59"
 *        data-zoom="12"></div>
 * Everything it needs comes from the geod that served this file: Leaflet (built into geod from
 * npm, no CDN), the district boundaries as the offline base map (/v1/places/boundaries), the
 * facilities and clusters (/v1/bbox), the nearest ones (/v1/nearby). Optional: data-tiles (a
 * tile URL template) with data-tiles-crs (wgs84, or gcj02 for AMap/Tencent tiles: then every
 * position asked and drawn is GCJ-02) and data-tiles-attribution. The iframe page /widget/ reads
 * the same settings from its query string (data-from-url). Plain ES5-level JS, no framework. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__geodWidgetLoaded) return;
  window.__geodWidgetLoaded = true;
  var BASE = script.src.replace(/\/widget\.js(\?.*)?$/, '');
  var LEAFLET = BASE + '/widget/leaflet/@LEAFLET@/';
  var COLORS = {
    community_center: '#1f77b4', street_office: '#9467bd', relief_station: '#d62728',
    shelter: '#2ca02c', hospital: '#e6550d', elderly_care: '#8c564b',
    elderly_daycare: '#bcbd22', welfare_enterprise: '#17becf', marriage_registry: '#e377c2'
  };
  var FALLBACK_COLOR = '#555';
  var L = null; /* our Leaflet, never the page's own (noConflict) */

  function color(cat) { return COLORS[cat] || FALLBACK_COLOR; }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  /* A category's coloured dot, for a facility marker (a DivIcon's html may be an element). */
  function dot(cat) {
    var d = el('span');
    d.style.background = color(cat);
    return d;
  }

  function addCss(href) {
    var l = document.createElement('link');
    l.rel = 'stylesheet';
    l.href = href;
    document.head.appendChild(l);
  }

  /* Loads our Leaflet once, leaving any Leaflet the page has where it was. */
  var leafletReady = null;
  function loadLeaflet() {
    if (leafletReady) return leafletReady;
    addCss(LEAFLET + 'leaflet.css');
    addCss(BASE + '/widget/geod-widget.css');
    leafletReady = new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = LEAFLET + 'leaflet.js';
      s.onload = function () { L = window.L.noConflict(); resolve(); };
      s.onerror = function () { reject(new Error('cannot load ' + s.src)); };
      document.head.appendChild(s);
    });
    return leafletReady;
  }

  function api(path, params, signal) {
    var q = [];
    for (var k in params)
      if (params[k] !== undefined && params[k] !== null && params[k] !== '')
        q.push(k + '=' + encodeURIComponent(params[k]));
    return fetch(BASE + path + (q.length ? '?' + q.join('&') : ''), {
      signal: signal, credentials: 'omit', headers: { Accept: 'application/json' }
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body.error && body.error.message) || ('HTTP ' + r.status));
        return body;
      });
    });
  }

  /* Settings from data-* attributes, or from the page's query string (the iframe page). */
  function settings(node) {
    var get = function (name) { return node.getAttribute('data-' + name); };
    if (node.hasAttribute('data-from-url')) {
      var u = new URLSearchParams(location.search);
      get = function (name) { return u.get(name) || u.get(name.replace(/-/g, '_')); };
    }
    var center = (get('center') || '114.30,30.59').split(',').map(Number);
    var tilesCrs = (get('tiles-crs') || 'wgs84').toLowerCase();
    return {
      category: get('category') || '',
      lon: isFinite(center[0]) ? center[0] : 114.30,
      lat: isFinite(center[1]) ? center[1] : 30.59,
      zoom: Number(get('zoom')) || 11,
      tiles: get('tiles') || '',
      tilesAttribution: get('tiles-attribution') || '',
      crs: tilesCrs === 'gcj02' ? 'gcj02' : 'wgs84'
    };
  }

  /* Great-circle distance in metres: a display of "about how far", rounded. */
  function roughDistance(lon1, lat1, lon2, lat2) {
    var r = Math.PI / 180, a = Math.sin((lat2 - lat1) * r / 2), b = Math.sin((lon2 - lon1) * r / 2);
    var h = a * a + Math.cos(lat1 * r) * Math.cos(lat2 * r) * b * b;
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function formatDistance(m) {
    return m < 1000 ? Math.round(m / 10) * 10 + ' 米' : (m / 1000).toFixed(1) + ' 公里';
  }

  function Widget(node) {
    this.node = node;
    this.s = settings(node);
    this.user = null; /* {lon, lat} in WGS-84 once the visitor allowed geolocation */
    this.pending = null;
    this.categories = {};
  }

  Widget.prototype.state = function (s) {
    this.node.setAttribute('data-geod-state', s);
  };

  Widget.prototype.status = function (text) {
    this.statusBox.textContent = text || '';
    this.statusBox.style.display = text ? 'block' : 'none';
  };

  Widget.prototype.start = function () {
    var self = this, s = this.s, node = this.node;
    node.classList.add('geod-widget');
    if (node.clientHeight < 50) node.style.height = '420px';
    var mapDiv = el('div', 'geod-map');
    this.statusBox = el('div', 'geod-status');
    node.appendChild(mapDiv);
    node.appendChild(this.statusBox);
    var map = this.map = L.map(mapDiv, { center: [s.lat, s.lon], zoom: s.zoom, minZoom: 7,
                                         maxZoom: 18, zoomSnap: 1 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    map.attributionControl.addAttribution('区划边界 © Vonng/adcode (CC BY 4.0)');
    if (s.tiles) {
      L.tileLayer(s.tiles, { maxZoom: 18, attribution: s.tilesAttribution }).addTo(map);
    } else {
      node.classList.add('geod-offline');
    }
    this.markers = L.layerGroup().addTo(map);
    this.userLayer = L.layerGroup().addTo(map);
    this.addNearestButton();
    api('/v1/places/boundaries', { level: 'district', out_crs: s.crs }).then(function (gj) {
      L.geoJSON(gj, {
        interactive: false,
        style: { color: '#8391a5', weight: 1.2, fillColor: '#f4f1ea', fillOpacity: s.tiles ? 0 : 1 }
      }).addTo(map).bringToBack();
    }).catch(function (e) { self.status('区划边界无法加载：' + e.message); });
    api('/v1/categories', {}).then(function (c) {
      c.categories.forEach(function (x) { self.categories[x.id] = x; });
      self.addLegend();
    }).catch(function () {});
    map.on('moveend', function () { self.load(); });
    node.geodWidget = this;
    this.load();
  };

  /* Asks /v1/bbox for what the map shows now (dropping an answer still on its way). */
  Widget.prototype.load = function () {
    var self = this, map = this.map, b = map.getBounds(), z = map.getZoom();
    var clamp = function (v, lo, hi) { return Math.max(lo, Math.min(hi, v)); };
    var box = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -85, 85),
               clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -85, 85)];
    if (this.pending) this.pending.abort();
    var ctl = this.pending = new AbortController();
    this.state('loading');
    api('/v1/bbox', {
      bbox: box.map(function (v) { return v.toFixed(6); }).join(','), zoom: z,
      category: this.s.category, crs: this.s.crs, out_crs: this.s.crs
    }, ctl.signal).then(function (res) {
      if (ctl !== self.pending) return;
      self.pending = null;
      self.draw(res);
      self.status('');
      self.node.setAttribute('data-geod-zoom', String(z));
      self.state('ready');
    }).catch(function (e) {
      if (e.name === 'AbortError') return;
      self.status('无法加载设施：' + e.message);
      self.state('error');
    });
  };

  /* Replaces what the map shows by what res lists, keeping the markers that stay (a cell's
   * cluster with the same count, the same facility): no flicker, and an open popup survives
   * the reload that its own auto-pan causes. */
  Widget.prototype.draw = function (res) {
    var self = this, old = this.shown || {}, now = {};
    res.results.forEach(function (it) {
      var key = it.cluster ? 'c' + it.id + '#' + it.count : 'f' + it.id;
      if (now[key]) return;
      now[key] = old[key] || (it.cluster ? self.clusterMarker(it) : self.facilityMarker(it));
      if (!old[key]) self.markers.addLayer(now[key]);
    });
    Object.keys(old).forEach(function (key) {
      if (!now[key]) self.markers.removeLayer(old[key]);
    });
    this.shown = now;
  };

  Widget.prototype.clusterMarker = function (c) {
    var self = this, stops = [], at = 0, cats = Object.keys(c.counts).sort();
    cats.forEach(function (k) {
      var to = at + c.counts[k] / c.count * 360;
      stops.push(color(k) + ' ' + at.toFixed(1) + 'deg ' + to.toFixed(1) + 'deg');
      at = to;
    });
    var size = Math.round(28 + Math.min(22, 5 * Math.log10(c.count) * 2));
    /* built as elements with their style set through the DOM, never as markup with a style
     * attribute: the iframe page's CSP (style-src 'self') refuses inline style attributes */
    var pie = el('div', 'geod-pie');
    pie.style.background = 'conic-gradient(' + stops.join(',') + ')';
    pie.appendChild(el('span', null, c.count));
    var m = L.marker([c.lat, c.lon], {
      icon: L.divIcon({ className: 'geod-cluster', html: pie, iconSize: [size, size] }),
      title: c.count + ' 个设施', riseOnHover: true
    });
    m.on('click', function () { self.zoomInto(c); });
    m.on('add', function () {
      var e = m.getElement();
      if (e) { e.setAttribute('data-count', c.count); e.setAttribute('data-cluster', c.id); }
    });
    return m;
  };

  /* Zooms to where a cluster's members part: at least its expansion zoom, its box in view. */
  Widget.prototype.zoomInto = function (c) {
    var map = this.map, b = c.bbox;
    var bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
    var z = Math.max(map.getZoom() + 1, c.expansion_zoom || 0, map.getBoundsZoom(bounds));
    map.setView(bounds.getCenter(), Math.min(z, map.getMaxZoom()));
  };

  /* A facility; distanceM (geodesic, from /v1/nearby) when known, else looked up on opening. */
  Widget.prototype.facilityMarker = function (f, distanceM) {
    var self = this;
    var m = L.marker([f.lat, f.lon], {
      icon: L.divIcon({ className: 'geod-fac', iconSize: [16, 16], html: dot(f.category) }),
      title: f.name, riseOnHover: true
    });
    var dist = { m: distanceM }; /* what the popup's content says, filled in when known */
    m.bindPopup(function () { return self.popup(f, dist.m); }, { maxWidth: 280 });
    if (distanceM == null) m.on('popupopen', function () { self.addDistance(f, m, dist); });
    m.on('add', function () {
      var e = m.getElement();
      if (e) { e.setAttribute('data-id', f.id); e.setAttribute('data-category', f.category); }
    });
    return m;
  };

  Widget.prototype.popup = function (f, distanceM) {
    var box = el('div', 'geod-popup');
    box.setAttribute('data-id', f.id);
    box.appendChild(el('div', 'geod-name', f.name));
    var cat = el('div', 'geod-cat', f.category_name || f.category);
    cat.style.color = color(f.category);
    box.appendChild(cat);
    var rows = [['地址', f.address], ['电话', f.phone], ['时间', f.hours]];
    rows.forEach(function (r) {
      if (!r[1]) return;
      var row = el('div', 'geod-row');
      row.appendChild(el('span', 'geod-k', r[0]));
      if (r[0] === '电话') {
        var a = el('a', null, r[1]);
        a.href = 'tel:' + String(r[1]).replace(/[^0-9+]/g, '');
        row.appendChild(a);
      } else {
        row.appendChild(el('span', null, r[1]));
      }
      box.appendChild(row);
    });
    var d = el('div', 'geod-distance', distanceM != null ? '距您约 ' + formatDistance(distanceM) : '');
    box.appendChild(d);
    return box;
  };

  /* The visitor's position, asked of the browser (which asks the visitor once). */
  Widget.prototype.locate = function () {
    var self = this;
    return new Promise(function (resolve, reject) {
      if (!navigator.geolocation) return reject(new Error('此浏览器不能定位'));
      navigator.geolocation.getCurrentPosition(function (p) {
        self.user = { lon: p.coords.longitude, lat: p.coords.latitude };
        resolve(self.user);
      }, function (e) { reject(new Error(e.code === 1 ? '未允许定位' : '无法定位')); },
      { maximumAge: 60000, timeout: 15000 });
    });
  };

  /* Adds "about how far" to an open popup when the visitor lets us know where they are. The
   * facility's WGS-84 position comes from /v1/facilities/{id} (the map may be in GCJ-02). */
  Widget.prototype.addDistance = function (f, m, dist) {
    var self = this;
    var show = function (u) {
      return api('/v1/facilities/' + f.id, {}).then(function (w) {
        var p = m.getPopup();
        dist.m = roughDistance(u.lon, u.lat, w.lon, w.lat);
        if (p && p.isOpen()) p.update(); /* new content: laid out and panned into view again */
      });
    };
    if (this.user) return show(this.user).catch(function () {});
    if (!navigator.permissions || !navigator.geolocation) return;
    navigator.permissions.query({ name: 'geolocation' }).then(function (p) {
      if (p.state === 'granted') return self.locate().then(show);
    }).catch(function () {});
  };

  Widget.prototype.addNearestButton = function () {
    var self = this, Ctl = L.Control.extend({
      options: { position: 'topleft' },
      onAdd: function () {
        var b = el('button', 'geod-nearest', '离我最近');
        b.type = 'button';
        b.title = '查找离您最近的设施';
        L.DomEvent.disableClickPropagation(b);
        L.DomEvent.on(b, 'click', function () { self.nearest(); });
        return b;
      }
    });
    new Ctl().addTo(this.map);
  };

  /* "Nearest to me": the 5 nearest (of the widget's categories) by /v1/nearby, the nearest's
   * popup open, the view fitted to the visitor and them. */
  Widget.prototype.nearest = function () {
    var self = this, s = this.s;
    this.status('正在定位…');
    this.locate().then(function (u) {
      return api('/v1/nearby', { lon: u.lon.toFixed(7), lat: u.lat.toFixed(7), crs: 'wgs84',
                                 out_crs: s.crs, k: 5, category: s.category });
    }).then(function (res) {
      self.status('');
      self.userLayer.clearLayers();
      if (!res.results.length) return self.status('附近没有找到设施');
      var here = res.results[0];
      /* the visitor in the map's system: nearby's bearing and distance put them back */
      var pts = res.results.map(function (f) { return [f.lat, f.lon]; });
      var uLatLng = self.userLatLng(here);
      L.circleMarker(uLatLng, { radius: 7, color: '#fff', weight: 2, fillColor: '#2a7fff',
                                fillOpacity: 1 }).bindTooltip('您的位置').addTo(self.userLayer);
      res.results.forEach(function (f) {
        var m = self.facilityMarker(f, f.distance_m);
        m.addTo(self.userLayer);
        if (f === here) self.nearestMarker = m;
      });
      pts.push(uLatLng);
      self.map.once('moveend', function () { self.nearestMarker.openPopup(); });
      self.map.fitBounds(L.latLngBounds(pts), { padding: [40, 40], maxZoom: 16 });
    }).catch(function (e) { self.status(e.message); });
  };

  /* The visitor's position in the map's system, from the nearest facility and its distance and
   * bearing (so that no conversion code lives here): back along the bearing. */
  Widget.prototype.userLatLng = function (f) {
    if (this.s.crs === 'wgs84') return [this.user.lat, this.user.lon];
    var r = Math.PI / 180, d = f.distance_m / 6371008.8, th = (f.bearing_deg + 180) * r;
    var la = f.lat * r, lo = f.lon * r;
    var la2 = Math.asin(Math.sin(la) * Math.cos(d) + Math.cos(la) * Math.sin(d) * Math.cos(th));
    var lo2 = lo + Math.atan2(Math.sin(th) * Math.sin(d) * Math.cos(la),
                              Math.cos(d) - Math.sin(la) * Math.sin(la2));
    return [la2 / r, lo2 / r];
  };

  Widget.prototype.addLegend = function () {
    var self = this, wanted = this.s.category ? this.s.category.split(',') : null;
    var Ctl = L.Control.extend({
      options: { position: 'bottomright' },
      onAdd: function () {
        var box = el('div', 'geod-legend');
        Object.keys(self.categories).forEach(function (id) {
          if (wanted && wanted.indexOf(id) < 0) return;
          var row = el('div', 'geod-legend-row');
          var sw = el('span', 'geod-swatch');
          sw.style.background = color(id);
          row.appendChild(sw);
          row.appendChild(el('span', null, self.categories[id].name));
          row.setAttribute('data-category', id);
          box.appendChild(row);
        });
        return box;
      }
    });
    new Ctl().addTo(this.map);
  };

  function startAll() {
    var nodes = document.querySelectorAll('[data-geod-widget]');
    if (!nodes.length) return;
    loadLeaflet().then(function () {
      Array.prototype.forEach.call(nodes, function (n) {
        if (n.geodWidget) return;
        var w = new Widget(n);
        n.geodWidget = w;
        w.start();
      });
    }).catch(function (e) {
      Array.prototype.forEach.call(nodes, function (n) {
        n.textContent = '地图无法加载：' + e.message;
        n.setAttribute('data-geod-state', 'error');
      });
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startAll);
  else startAll();
})();
