/* geod tagging form (/tag/): log in, see the worker's district on a vector map (district
 * boundaries from /v1/places/boundaries, facilities from /v1/bbox: no tile server needed; a tile
 * layer when geod is configured with one, /v1/tiles, drawn in its own coordinate system: then the
 * map is in that system and geod converts both ways, out_crs on what is shown and crs on what is
 * sent), place a point by a tap or the browser's position (WGS-84, converted by /v1/convert when
 * the map is not), fill the short form and POST /v1/facilities; field
 * errors inline, the duplicate warning with "这是另一个地点", and "我最近的编辑" (ids kept in
 * localStorage) with edit (PATCH, If-Match) and delete. Plain script, Leaflet from geod itself;
 * the session is the HttpOnly cookie, writes carry the X-CSRF-Token from /v1/login or /v1/me. */
(function () {
  'use strict';
  var L = window.L;
  var $ = function (id) { return document.getElementById(id); };
  var RECENT_KEY = 'geod-tag-recent';
  var RECENT_MAX = 20;
  var PLACE_ZOOM = 17;     // a placed point is shown at this zoom at least
  var SINGLES_FROM = 14;   // from this map zoom on, /v1/bbox is asked for single facilities
  var WUHAN = [30.59, 114.30];

  var state = { csrf: null, user: null, map: null, marker: null, facLayer: null,
                crs: 'wgs84', tiles: null,
                bounds: null, categories: [], catName: {}, pending: null, bboxCtl: null,
                bboxSeq: 0 };

  // ---- messages -------------------------------------------------------------------------
  var CODE_MSG = {
    missing_field: '此项必填',
    invalid_field: '格式不正确',
    field_too_long: '内容太长',
    unknown_category: '未知的类别',
    out_of_range: '位置不在武汉范围内',
    unknown_crs: '坐标系不正确',
    invalid_utf8: '含有无效字符',
    nul_byte: '含有无效字符',
    unknown_field: '不支持的字段',
    invalid_json: '提交的数据有误',
    invalid_body: '提交的数据有误',
    body_too_long: '提交的内容太长',
    forbidden: '该位置不在您的辖区内，无权编辑',
    not_logged_in: '登录已失效，请重新登录',
    session_invalid: '登录已失效，请重新登录',
    csrf_failed: '安全校验失败，请刷新页面后重试',
    precondition_required: '缺少版本信息，请重新加载后再试',
    not_found: '该设施不存在或已被删除',
    too_many_attempts: '尝试次数过多，请稍后再试',
    invalid_credentials: '用户名或密码错误',
    account_disabled: '该账号已停用',
    unavailable: '服务暂时不可用，请稍后再试'
  };
  var FIELD_MSG = {
    name: { missing_field: '请填写名称' },
    category: { missing_field: '请选择类别' },
    phone: { invalid_field: '电话只能包含数字、空格和 +-(),;# 等符号' },
    hours: { invalid_field: '开放时间格式不正确，例如 Mo-Fr 08:30-17:30; Sa 09:00-12:00' }
  };
  var FIELD_OF_PARAM = { lon: 'position', lat: 'position', crs: 'position' };

  function msgFor(err) {
    if (!err) return '出错了，请稍后再试';
    var f = err.param && FIELD_MSG[err.param];
    return (f && f[err.code]) || CODE_MSG[err.code] || err.message || '出错了，请稍后再试';
  }

  // ---- HTTP -----------------------------------------------------------------------------
  function api(method, path, body, headers) {
    var h = { 'Accept': 'application/json' };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (method !== 'GET' && state.csrf) h['X-CSRF-Token'] = state.csrf;
    for (var k in headers || {}) h[k] = headers[k];
    return fetch(path, { method: method, headers: h, credentials: 'same-origin',
                         body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.text().then(function (t) {
          var js = null;
          try { js = t ? JSON.parse(t) : null; } catch (e) { js = null; }
          return { status: r.status, ok: r.ok, body: js, etag: r.headers.get('ETag') };
        });
      });
  }

  function setStatus(text, kind) {
    var s = $('status');
    s.textContent = text || '';
    s.className = 'status' + (kind ? ' ' + kind : '');
  }

  // ---- login ----------------------------------------------------------------------------
  function showLogin() {
    state.csrf = null;
    state.user = null;
    $('app-view').hidden = true;
    $('logout').hidden = true;
    $('who').textContent = '';
    $('login-view').hidden = false;
    $('login-name').focus();
  }

  function loggedIn(body) {
    state.csrf = body.csrf;
    state.user = body.user;
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    $('logout').hidden = false;
    var u = body.user || {};
    $('who').textContent = u.name + (u.role === 'admin' ? '（管理员）' : '');
    startApp();
  }

  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var name = $('login-name').value.trim(), pw = $('login-password').value;
    var err = $('login-error');
    err.textContent = '';
    if (!name || !pw) {
      err.textContent = '请输入用户名和密码';
      return;
    }
    $('login-submit').disabled = true;
    api('POST', '/v1/login', { name: name, password: pw }).then(function (r) {
      $('login-submit').disabled = false;
      if (r.ok && r.body && r.body.csrf) {
        $('login-password').value = '';
        loggedIn(r.body);
        return;
      }
      var e = r.body && r.body.error;
      if (r.status === 429 && e) err.textContent = '尝试次数过多，请稍后再试';
      else err.textContent = msgFor(e);
    }, function () {
      $('login-submit').disabled = false;
      err.textContent = '无法连接服务器';
    });
  });

  $('logout').addEventListener('click', function () {
    api('POST', '/v1/logout').then(showLogin, showLogin);
  });

  // ---- the map --------------------------------------------------------------------------
  function startApp() {
    if (state.map || state.starting) {
      if (state.map) setTimeout(function () { state.map.invalidateSize(); }, 0);
      renderRecent();
      return;
    }
    state.starting = true;
    // the tile layer, if any, decides the map's coordinate system; without an answer the map
    // is drawn from vector layers alone
    api('GET', '/v1/tiles').then(function (r) {
      return r.ok && r.body ? r.body.tiles : null;
    }, function () { return null; }).then(function (tiles) {
      state.starting = false;
      state.tiles = tiles || null;
      state.crs = tiles && tiles.crs === 'gcj02' ? 'gcj02' : 'wgs84';
      makeMap();
    });
  }

  function makeMap() {
    var t = state.tiles;
    state.map = L.map('map', { zoomControl: true, attributionControl: !!t,
                               maxZoom: t ? t.max_zoom : 18,
                               preferCanvas: false }).setView(WUHAN, 11);
    if (t) {
      state.map.attributionControl.setPrefix(false);
      L.tileLayer(t.url, { subdomains: t.subdomains, maxZoom: t.max_zoom,
                           attribution: t.attribution }).addTo(state.map);
      $('map').setAttribute('data-crs', state.crs);
    }
    state.facLayer = L.layerGroup().addTo(state.map);
    state.map.on('click', function (ev) { placeAt(ev.latlng, true); });
    state.map.on('moveend', loadFacilities);
    api('GET', '/v1/categories').then(function (r) {
      if (!r.ok || !r.body) return;
      state.categories = r.body.categories || [];
      var sel = $('f-category');
      sel.textContent = '';
      var none = document.createElement('option');
      none.value = '';
      none.textContent = '请选择类别';
      sel.appendChild(none);
      state.categories.forEach(function (c) {
        state.catName[c.id] = c.name;
        var o = document.createElement('option');
        o.value = c.id;
        o.textContent = c.name;
        sel.appendChild(o);
      });
      renderRecent();
    });
    api('GET', '/v1/places/boundaries?level=district&out_crs=' + state.crs).then(function (r) {
      if (!r.ok || !r.body) return;
      var mine = null, district = state.user && state.user.district;
      L.geoJSON(r.body, {
        interactive: false,
        style: function (f) {
          var own = district && String(f.properties.code).indexOf(district) === 0;
          var fill = state.tiles ? 0.1 : 0.5; // over tiles the streets must show through
          return { color: own ? '#c2410c' : '#1f5f99', weight: own ? 3 : 1.5,
                   fillColor: own ? '#fde68a' : '#ffffff', fillOpacity: own ? 0.25 : fill };
        },
        onEachFeature: function (f, layer) {
          if (district && String(f.properties.code).indexOf(district) === 0) mine = layer;
        }
      }).addTo(state.map).bringToBack();
      if (mine) state.map.fitBounds(mine.getBounds(), { padding: [8, 8] });
      $('map').setAttribute('data-ready', '1');
    });
    setTimeout(function () { state.map.invalidateSize(); }, 0);
  }

  // the map's system and the API's: '?out_crs=…' (or '&…') when the map is not WGS-84
  function crsQuery(sep) {
    return state.crs === 'wgs84' ? '' : sep + 'out_crs=' + state.crs;
  }

  function loadFacilities() {
    var m = state.map, z = m.getZoom(), b = m.getBounds();
    if (state.bboxCtl) state.bboxCtl.abort();
    var ctl = state.bboxCtl = new AbortController();
    var seq = ++state.bboxSeq;
    var qz = z >= SINGLES_FROM ? Math.max(17, Math.min(22, z)) : Math.max(0, Math.min(16, z));
    var url = '/v1/bbox?bbox=' + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map(function (v) { return v.toFixed(6); }).join(',') + '&zoom=' + qz +
      (state.crs === 'wgs84' ? '' : '&crs=' + state.crs + '&out_crs=' + state.crs);
    fetch(url, { signal: ctl.signal, headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (js) {
        if (!js || seq !== state.bboxSeq) return;
        state.facLayer.clearLayers();
        (js.results || []).forEach(function (it) {
          if (it.cluster) {
            L.circleMarker([it.lat, it.lon], { radius: Math.min(18, 5 + Math.sqrt(it.count)),
              color: '#555', weight: 1, fillColor: '#9ca3af', fillOpacity: 0.6 })
              .bindTooltip(it.count + ' 个设施').addTo(state.facLayer);
          } else {
            L.circleMarker([it.lat, it.lon], { radius: 6, color: '#fff', weight: 2,
              fillColor: '#2563eb', fillOpacity: 0.9, bubblingMouseEvents: false })
              .bindPopup(popupFor(it)).addTo(state.facLayer);
          }
        });
        $('map').setAttribute('data-facilities', String(state.facLayer.getLayers().length));
      })
      .catch(function () { /* aborted by the next move, or offline: the map stays */ });
  }

  function popupFor(f) {
    var d = document.createElement('div');
    var n = document.createElement('strong');
    n.textContent = f.name;
    d.appendChild(n);
    var c = document.createElement('div');
    c.textContent = f.category_name || state.catName[f.category] || f.category;
    d.appendChild(c);
    if (f.address) {
      var a = document.createElement('div');
      a.textContent = f.address;
      d.appendChild(a);
    }
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'small';
    b.textContent = '编辑';
    b.addEventListener('click', function () { state.map.closePopup(); editFacility(f.id); });
    d.appendChild(b);
    return d;
  }

  function placeAt(latlng, zoomIn) {
    var m = state.map;
    if (!state.marker) {
      state.marker = L.marker(latlng, { draggable: true, autoPan: true, title: '设施位置' }).addTo(m);
      state.marker.on('dragend', function () { showPos(); clearDup(); });
    } else {
      state.marker.setLatLng(latlng);
    }
    if (zoomIn && m.getZoom() < PLACE_ZOOM) m.setView(latlng, PLACE_ZOOM);
    showPos();
    clearDup();
    setFieldError('position', '');
  }

  function showPos() {
    var p = state.marker && state.marker.getLatLng();
    var sys = state.crs === 'wgs84' ? '' : '（' + state.crs.toUpperCase() + '）';
    $('pos').textContent = p ? '位置' + sys + '：' + p.lng.toFixed(6) + ', ' + p.lat.toFixed(6) + '（可拖动标记微调）'
                             : '点击地图选择位置，可拖动标记微调';
    $('pos').setAttribute('data-set', p ? '1' : '0');
  }

  $('locate').addEventListener('click', function () {
    if (!navigator.geolocation) {
      setStatus('此浏览器不支持定位', 'bad');
      return;
    }
    setStatus('正在定位…');
    navigator.geolocation.getCurrentPosition(function (p) {
      var lon = p.coords.longitude, lat = p.coords.latitude;
      // the browser's position is WGS-84: converted by geod when the map is in another system
      var there = state.crs === 'wgs84'
        ? Promise.resolve({ x: lon, y: lat })
        : api('GET', '/v1/convert?from=wgs84&to=' + state.crs + '&lon=' + lon + '&lat=' + lat)
          .then(function (r) { if (!r.ok || !r.body) throw new Error('convert'); return r.body; });
      there.then(function (c) {
        setStatus('');
        placeAt(L.latLng(c.y, c.x), false);
        state.map.setView(state.marker.getLatLng(), Math.max(state.map.getZoom(), PLACE_ZOOM));
      }, function () { setStatus('无法换算您的位置，请在地图上点击选择', 'bad'); });
    }, function () {
      setStatus('无法获取您的位置，请在地图上点击选择', 'bad');
    }, { enableHighAccuracy: true, timeout: 15000 });
  });

  // ---- the form -------------------------------------------------------------------------
  var FIELDS = ['category', 'name', 'address', 'phone', 'hours'];

  function setFieldError(field, text) {
    var p = document.querySelector('.error[data-for="' + field + '"]');
    if (p) p.textContent = text || '';
    var input = $('f-' + field);
    if (input) input.classList.toggle('bad', !!text);
  }

  function clearErrors() {
    FIELDS.concat(['position', 'form']).forEach(function (f) { setFieldError(f, ''); });
  }

  function clearDup() {
    $('dup').hidden = true;
    $('dup-list').textContent = '';
    state.pending = null;
  }

  function resetForm() {
    $('fac-form').reset();
    $('f-id').value = '';
    $('f-version').value = '';
    $('form-title').textContent = '新增设施';
    $('f-submit').textContent = '提交';
    clearErrors();
    clearDup();
    if (state.marker) {
      state.map.removeLayer(state.marker);
      state.marker = null;
    }
    showPos();
  }

  $('f-cancel').addEventListener('click', function () { resetForm(); setStatus(''); });

  function formBody(editing) {
    var b = {};
    FIELDS.forEach(function (f) {
      var v = $('f-' + f).value.trim();
      if (f === 'category' || f === 'name') {
        if (v || !editing) b[f] = v;
      } else {
        b[f] = v ? v : (editing ? null : undefined);
        if (b[f] === undefined) delete b[f];
      }
    });
    return b;
  }

  function localCheck(b, editing) {
    var ok = true;
    if (!editing && !b.category) { setFieldError('category', '请选择类别'); ok = false; }
    if (!b.name) { setFieldError('name', '请填写名称'); ok = false; }
    if (!editing && !state.marker) { setFieldError('position', '请在地图上点击选择位置'); ok = false; }
    return ok;
  }

  function showError(r) {
    var e = r.body && r.body.error;
    if (r.status === 401) {
      setFieldError('form', msgFor(e));
      showLogin();
      return;
    }
    if (e && e.param) {
      var field = FIELD_OF_PARAM[e.param] || e.param;
      if (document.querySelector('.error[data-for="' + field + '"]')) {
        setFieldError(field, msgFor(e));
        return;
      }
    }
    setFieldError('form', msgFor(e));
  }

  function submit(confirmDup) {
    clearErrors();
    var editing = !!$('f-id').value;
    var b = formBody(editing);
    if (!localCheck(b, editing)) return;
    if (state.marker) {
      var p = state.marker.getLatLng();
      b.lon = Number(p.lng.toFixed(7));
      b.lat = Number(p.lat.toFixed(7));
      b.crs = state.crs; // the map's system: geod converts to WGS-84
    }
    if (confirmDup) b.confirm_duplicate = true;
    $('f-submit').disabled = true;
    var req = editing
      ? api('PATCH', '/v1/facilities/' + $('f-id').value + crsQuery('?'), b,
            { 'If-Match': '"' + $('f-version').value + '"' })
      : api('POST', '/v1/facilities' + crsQuery('?'), b);
    req.then(function (r) {
      $('f-submit').disabled = false;
      if (r.ok && r.body) {
        remember(r.body.id);
        setStatus((editing ? '已保存：' : '已添加：') + r.body.name, 'ok');
        $('status').setAttribute('data-id', String(r.body.id));
        resetForm();
        loadFacilities();
        renderRecent();
        return;
      }
      if (r.status === 409 && r.body && r.body.candidates) {
        showDup(r.body.candidates);
        return;
      }
      if (r.status === 412 && r.body && r.body.current) {
        setFieldError('form', '已被他人修改，已重新加载最新内容，请确认后再保存');
        fillForm(r.body.current, false);
        renderRecent();
        return;
      }
      showError(r);
    }, function () {
      $('f-submit').disabled = false;
      setFieldError('form', '无法连接服务器');
    });
  }

  function showDup(cands) {
    var ul = $('dup-list');
    ul.textContent = '';
    cands.forEach(function (c) {
      if (!c) return;
      var li = document.createElement('li');
      li.textContent = c.name + (c.address ? '（' + c.address + '）' : '');
      ul.appendChild(li);
    });
    $('dup').hidden = false;
    setStatus('');
  }

  $('dup-confirm').addEventListener('click', function () { submit(true); });
  $('fac-form').addEventListener('submit', function (ev) { ev.preventDefault(); submit(false); });

  function fillForm(f, move) {
    $('f-id').value = f.id;
    $('f-version').value = f.version;
    $('f-category').value = f.category;
    $('f-name').value = f.name || '';
    $('f-address').value = f.address || '';
    $('f-phone').value = f.phone || '';
    $('f-hours').value = f.hours || '';
    $('form-title').textContent = '编辑设施 #' + f.id;
    $('f-submit').textContent = '保存';
    if (move !== false && typeof f.lat === 'number') {
      placeAt(L.latLng(f.lat, f.lon), false);
      state.map.setView(state.marker.getLatLng(), Math.max(state.map.getZoom(), PLACE_ZOOM));
    }
  }

  function editFacility(id) {
    clearErrors();
    clearDup();
    api('GET', '/v1/facilities/' + id + crsQuery('?')).then(function (r) {
      if (!r.ok || !r.body) { setFieldError('form', msgFor(r.body && r.body.error)); return; }
      fillForm(r.body);
      $('f-name').focus();
    });
  }

  // ---- my recent edits ------------------------------------------------------------------
  function recentIds() {
    try {
      var v = JSON.parse(localStorage.getItem(RECENT_KEY) || '[]');
      return Array.isArray(v) ? v.filter(function (x) { return typeof x === 'number'; }) : [];
    } catch (e) {
      return [];
    }
  }

  function remember(id) {
    var ids = recentIds().filter(function (x) { return x !== id; });
    ids.unshift(id);
    try { localStorage.setItem(RECENT_KEY, JSON.stringify(ids.slice(0, RECENT_MAX))); } catch (e) { /* full */ }
  }

  function forget(id) {
    var ids = recentIds().filter(function (x) { return x !== id; });
    try { localStorage.setItem(RECENT_KEY, JSON.stringify(ids)); } catch (e) { /* full */ }
  }

  var recentSeq = 0;
  function renderRecent() {
    var ids = recentIds(), seq = ++recentSeq;
    $('recent-empty').hidden = ids.length > 0;
    Promise.all(ids.map(function (id) {
      return api('GET', '/v1/facilities/' + id).then(function (r) { return r; }, function () { return null; });
    })).then(function (rs) {
      if (seq !== recentSeq) return;
      var ul = $('recent');
      ul.textContent = '';
      rs.forEach(function (r, i) {
        if (!r || !r.ok || !r.body) {
          if (r && r.status === 404) forget(ids[i]);
          return;
        }
        ul.appendChild(recentItem(r.body));
      });
      $('recent-empty').hidden = ul.children.length > 0;
    });
  }

  function recentItem(f) {
    var li = document.createElement('li');
    li.setAttribute('data-id', String(f.id));
    var n = document.createElement('span');
    n.className = 'r-name';
    n.textContent = f.name;
    var meta = document.createElement('div');
    meta.className = 'r-meta';
    meta.textContent = (f.category_name || state.catName[f.category] || f.category) + ' · 版本 ' + f.version;
    n.appendChild(meta);
    var ed = document.createElement('button');
    ed.type = 'button';
    ed.className = 'small secondary r-edit';
    ed.textContent = '编辑';
    ed.addEventListener('click', function () { editFacility(f.id); });
    var del = document.createElement('button');
    del.type = 'button';
    del.className = 'small danger r-delete';
    del.textContent = '删除';
    del.addEventListener('click', function () {
      if (!window.confirm('确定删除“' + f.name + '”吗？')) return;
      api('DELETE', '/v1/facilities/' + f.id, undefined, { 'If-Match': '"' + f.version + '"' })
        .then(function (r) {
          if (r.ok) {
            setStatus('已删除：' + f.name, 'ok');
            forget(f.id);
            if ($('f-id').value === String(f.id)) resetForm();
            loadFacilities();
          } else if (r.status === 412) {
            setStatus('已被他人修改，已重新加载', 'bad');
          } else {
            setStatus(msgFor(r.body && r.body.error), 'bad');
          }
          renderRecent();
        });
    });
    li.appendChild(n);
    li.appendChild(ed);
    li.appendChild(del);
    return li;
  }

  // ---- start: already logged in? ---------------------------------------------------------
  api('GET', '/v1/me').then(function (r) {
    if (r.ok && r.body && r.body.csrf) loggedIn(r.body);
    else showLogin();
  }, showLogin);
})();
