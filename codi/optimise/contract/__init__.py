"""The runtime contract: what a container of an image depends on, and the check that a candidate keeps it."""

from codi.optimise.contract.compute import compute_contract
from codi.optimise.contract.diff import check_contract, diff_contracts, worst_risk
from codi.optimise.contract.model import (
    ContractChange,
    ContractCheck,
    DeclaredChange,
    IntendedChange,
    RuntimeContract,
)

__all__ = ["ContractChange", "ContractCheck", "DeclaredChange", "IntendedChange", "RuntimeContract",
           "check_contract", "compute_contract", "diff_contracts", "worst_risk"]
