mod calendar_oracle;
mod calendar_props;
mod cli;
mod contract;
mod contract_errors;
mod eval;
mod scripts;
mod store;
