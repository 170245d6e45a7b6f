function (params) {
  // A row's height from the text of its wrapped columns (gridOptions.context.wrapped),
  // laid out in lines the way the browser does: words are measured on a canvas, which
  // costs no layout. AG Grid's own autoHeight measured every wrapped cell in the page,
  // a forced layout per cell: about 150 ms for a page of 50 rows, before the first row
  // showed. The browser can break lines at more places than spaces (after a hyphen), never
  // at fewer: the lines counted here are never fewer than the ones drawn, so no text is cut.
  var layout = params.context;
  var root = document.querySelector(".ag-root-wrapper");
  if (!root) {
    layout.counted = {}; // not drawn yet: counted again once the grid is (onColumnResized)
    return null;
  }
  var style = window.getComputedStyle(root);
  var font = style.fontStyle + " " + style.fontWeight + " " + style.fontSize + " " + style.fontFamily;
  var cache = window.__appioRowHeight;
  if (!cache || cache.font !== font) {
    var pen = document.createElement("canvas").getContext("2d");
    pen.font = font;
    cache = window.__appioRowHeight = { font: font, pen: pen, widths: new Map() };
  }
  function width(text) {
    var known = cache.widths.get(text);
    if (known === undefined) {
      known = cache.pen.measureText(text).width;
      cache.widths.set(text, known);
    }
    return known;
  }
  function lines(text, room) {
    var words = String(text).trim().split(/\s+/);
    var space = width(" ");
    var count = 1;
    var used = 0;
    for (var i = 0; i < words.length; i++) {
      var word = width(words[i]);
      if (used > 0 && used + space + word <= room) {
        used += space + word;
        continue;
      }
      if (used > 0) {
        count += 1;
      }
      if (word <= room) {
        used = word;
        continue;
      }
      // A word wider than the column breaks between letters (break-word): a line holds
      // at least one letter less than the room allows, counted at the widest letter.
      var letters = words[i].length;
      var perLine = Math.max(1, Math.floor(letters * (room / word)) - 1);
      count += Math.ceil(letters / perLine) - 1;
      used = word / letters * (letters - perLine * (Math.ceil(letters / perLine) - 1));
    }
    return count;
  }
  var most = 1;
  layout.counted = layout.counted || {}; // the widths counted at: see onColumnResized
  for (var c = 0; c < layout.wrapped.length; c++) {
    var id = layout.wrapped[c];
    var value = params.data ? params.data[id] : null;
    var column = params.api.getColumn(id);
    if (!column) {
      continue;
    }
    layout.counted[id] = column.getActualWidth();
    if (value === null || value === undefined || value === "" || !column.isVisible()) {
      continue;
    }
    most = Math.max(most, lines(value, layout.counted[id] - layout.frame));
  }
  return most === 1 ? null : most * layout.line + layout.padding; // null: the theme's height
}
