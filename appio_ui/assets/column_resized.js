function (event) {
  // The rows' heights counted again when a wrapped column's width has changed since they
  // were (row_height.js): the grid fitted to its window, a column dragged. A resize that
  // changed none of them costs nothing.
  if (!event.finished) {
    return;
  }
  var layout = event.context;
  var counted = layout.counted || {};
  for (var c = 0; c < layout.wrapped.length; c++) {
    var column = event.api.getColumn(layout.wrapped[c]);
    if (column && column.getActualWidth() !== counted[layout.wrapped[c]]) {
      event.api.resetRowHeights();
      return;
    }
  }
}
