"""The .mdl carries a stock-and-flow sketch, one view per sector, that Vensim's grammar
(as PySD implements it) accepts."""
import re
import warnings

from sdecon import model

SECTORS = ["Efficiency", "Price", "Substitution", "Performance", "Spending", "Capex"]


def _views():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pysd.translators.vensim import vensim_utils
        from pysd.translators.vensim.vensim_file import SketchVisitor
    text = model.model_path().read_text(encoding="utf-8")
    sketch = text.split("\\\\\\---///")[1].split("///---\\\\\\")[0]
    grammar = vensim_utils.Grammar.get("sketch")
    views, current = {}, None
    for line in sketch.split("\n")[1:]:
        parsed = SketchVisitor(grammar.parse(line))  # raises on a malformed line
        if parsed.view_name:
            current = views.setdefault(parsed.view_name, set())
        elif parsed.variable_name:
            current.add(parsed.variable_name)
    return views, sketch


def test_one_view_per_sector_holding_every_variable():
    views, _ = _views()
    assert list(views) == [s.lower() for s in SECTORS]  # PySD lower-cases view names
    doc = model.documentation().drop(index=[*model.CONTROL_VARIABLES, "Time"])
    assert set().union(*views.values()) >= set(doc["Py Name"])  # PySD reports Python names


def test_stocks_are_drawn_as_boxes_with_valves():
    _, sketch = _views()
    for stock in model.stock_names():
        assert re.search(rf"\n10,\d+,{re.escape(stock)},\d+,\d+,\d+,\d+,3,3,", sketch), stock
    assert sketch.count("\n11,") >= len(model.stock_names())
