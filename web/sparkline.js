/*
 * A small bitrate chart as inline SVG: a line over the last samples (one per poll), scaled
 * to the largest, with that figure written at the top. No library; built with
 * createElementNS and textContent only. window.Sparkline.render(container, values, opts).
 */
var Sparkline = (function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';

  function node(tag, attrs) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
    return n;
  }

  /** Room at the top for the peak figure. */
  var LABEL_PX = 12;

  /** The polyline's points for values (oldest first) across the width, below the label. */
  function points(values, width, height) {
    var max = Math.max.apply(null, values.concat([1]));
    var step = width / Math.max(1, values.length - 1);
    return values.map(function (v, i) {
      var x = step * i;
      var y = height - 1 - (Math.max(0, v) / max) * (height - 2 - LABEL_PX);
      return x.toFixed(1) + ',' + y.toFixed(1);
    }).join(' ');
  }

  /**
   * Draws `values` into `container` (replacing what it held), spread over the width (the
   * caller keeps the last N). opts: width, height (px), unit (text after the peak), title.
   */
  function render(container, values, opts) {
    opts = opts || {};
    var width = opts.width || 160;
    var height = opts.height || 36;
    var svg = node('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'class': 'sparkline' });
    var peak = values.length ? Math.max.apply(null, values) : 0;
    var title = node('title', {});
    title.textContent = opts.title || ('peak ' + Math.round(peak) + ' ' + (opts.unit || ''));
    svg.appendChild(title);
    svg.appendChild(node('rect', { x: 0, y: 0, width: width, height: height, fill: '#f6f8fa', rx: 3 }));
    if (values.length > 1) {
      svg.appendChild(node('polyline', { points: points(values, width, height), fill: 'none', stroke: opts.color || '#2a7ab0', 'stroke-width': 1.5, 'stroke-linejoin': 'round' }));
    }
    var label = node('text', { x: 3, y: 10, 'font-size': 9, fill: '#667' });
    label.textContent = values.length ? 'max ' + Math.round(peak) + (opts.unit ? ' ' + opts.unit : '') : 'no data yet';
    svg.appendChild(label);
    while (container.firstChild) container.removeChild(container.firstChild);
    container.appendChild(svg);
    return svg;
  }

  return { render: render, points: points };
})();
