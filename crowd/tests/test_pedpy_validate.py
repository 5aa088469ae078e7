"""The crowd density and flow code reproduces JPSreport's results on PedPy's reference data."""

from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from crowd.management.commands.crowd_validate import Command
from crowd.pedpy_validate import (
    TOLERANCE,
    ValidationResult,
    jpsreport_flow,
    read_ini,
    validate,
)


@pytest.fixture(scope="module")
def result(pedpy_dir: Path) -> ValidationResult:
    return validate(pedpy_dir)


def test_classic_density_matches_jpsreport_within_tolerance(result: ValidationResult) -> None:
    assert result.max_density_error <= TOLERANCE


def test_flow_matches_jpsreport_within_tolerance(result: ValidationResult) -> None:
    assert result.max_flow_error <= TOLERANCE
    for e in result.experiments:
        assert len(e.flows) == len(e.reference_flows) > 0


def test_cumulative_crossings_match_jpsreport_exactly(result: ValidationResult) -> None:
    assert all(e.nt_max_abs_error == 0 for e in result.experiments)
    assert {e.name: e.total_crossings for e in result.experiments} == {
        "corner": 137,
        "bottleneck": 348,
    }


def test_known_peak_densities_are_reproduced(result: ValidationResult) -> None:
    by_name = {e.name: e for e in result.experiments}
    assert by_name["corner"].area_m2 == pytest.approx(6.0)
    assert by_name["corner"].max_density == pytest.approx(1.833, abs=1e-3)
    assert by_name["corner"].max_density_frame == 671
    assert by_name["bottleneck"].area_m2 == pytest.approx(3.18)
    assert by_name["bottleneck"].max_density == pytest.approx(5.031, abs=1e-3)
    assert by_name["bottleneck"].max_density_frame == 443


def test_summary_line_names_both_errors(result: ValidationResult) -> None:
    assert result.passed
    assert result.summary_line().startswith("max_density_error=")
    assert " max_flow_error=" in result.summary_line()


def test_ini_parser_reads_commented_out_method_a_parameters(pedpy_dir: Path) -> None:
    corner = read_ini(pedpy_dir / "corner" / "ini.xml")
    assert corner.lines[2] == ((0.0, 0.0), (-3.0, 0.0))
    assert corner.frame_intervals[2] == 100
    assert corner.sources["area_L 2"] == "commented-out"
    # The active box with the same id stays the box; comments never override active XML.
    assert corner.areas[1] == [(0.0, 0.0), (-3.0, 0.0), (-3.0, 2.0), (0.0, 2.0)]
    bottleneck = read_ini(pedpy_dir / "bottleneck" / "ini.xml")
    assert bottleneck.sources["area_L 4"] == "active"
    assert bottleneck.frame_intervals[4] == 150


def test_jpsreport_flow_counts_a_window_from_the_first_passage() -> None:
    # 16 fps; passages at indices 2, 4, 6, 10; windows of 4 frames from index 2.
    cum = np.array([0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4])
    # i=6: N1=cum[2]=1 (t=2), N2=3 (t=6) → 16·2/4 = 8; i=10: N1=3 (t=6), N2=4 (t=10) → 4.
    assert jpsreport_flow(cum, 16.0, 4) == [8.0, 4.0]
    assert jpsreport_flow(np.zeros(5, dtype=int), 16.0, 2) == []


def test_validate_reports_missing_data_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no PedPy experiments"):
        validate(tmp_path)


def test_the_management_command_prints_details_and_ends_with_the_summary_line(
    pedpy_dir: Path,
) -> None:
    out = StringIO()
    call_command(Command(), pedpy=pedpy_dir, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert any(line.startswith("corner:") for line in lines)
    assert lines[-1].startswith("max_density_error=")


def test_the_management_command_fails_clearly_without_data(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no PedPy experiments"):
        call_command(Command(), pedpy=tmp_path)
