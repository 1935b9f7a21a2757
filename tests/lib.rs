mod cli;
mod eval;
